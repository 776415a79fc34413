/** A strict RFC 4180 reader for the suites: what a spreadsheet would make of a CSV download. */
export function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let field = "";
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				field += '"';
				i++;
			} else if (c === '"') quoted = false;
			else field += c;
		} else if (c === '"') quoted = true;
		else if (c === ",") {
			row.push(field);
			field = "";
		} else if (c === "\r" && text[i + 1] === "\n") {
			row.push(field);
			rows.push(row);
			row = [];
			field = "";
			i++;
		} else field += c;
	}
	if (field !== "" || row.length > 0) {
		row.push(field);
		rows.push(row);
	}
	return rows;
}

/** The rows after the header as objects keyed by the header's names. */
export function csvRecords(text: string): Array<Record<string, string>> {
	const [header, ...rows] = parseCsv(text);
	return rows.map(row => Object.fromEntries(header.map((name, i) => [name, row[i]])));
}
