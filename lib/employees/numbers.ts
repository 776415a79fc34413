/**
 * Employee numbers the service assigns when a hire names none: "E" and six digits, so that
 * the highest one sorts last as text and the next is one more.
 */

export const ASSIGNED_NUMBER = /^E\d{6}$/;

export function nextEmployeeNumber(highest: string | undefined): string {
	const last = highest && ASSIGNED_NUMBER.test(highest) ? Number(highest.slice(1)) : 0;
	return `E${String(last + 1).padStart(6, "0")}`;
}

