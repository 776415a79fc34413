/** The documented bounds of an employee import upload (README): beyond them the answer is 413 naming the limit. */
export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 50_000;
/** The media types an upload may be sent as. */
export const CSV_MEDIA_TYPES = ["text/csv", "application/csv", "text/plain"];
