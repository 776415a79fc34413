/**
 * Employee numbers the service assigns when a hire names none: "E" and six digits, so that
 * the highest one sorts last as text.
 */

export const ASSIGNED_NUMBER = /^E\d{6}$/;

export function formatAssignedNumber(n: number): string {
	return `E${String(n).padStart(6, "0")}`;
}
