/**
 * A job opening is drafted, opened (applications welcome), and closed; a closed opening may be
 * opened again, but once published it never goes back to draft. Only open openings take
 * applications.
 */
import type { OpeningStatus } from "../names/recruitment";

export function canChangeOpening(from: OpeningStatus, to: OpeningStatus): boolean {
	return from === to || to !== "draft";
}

export const acceptsApplications = (status: OpeningStatus): boolean => status === "open";
