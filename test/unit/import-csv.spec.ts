/**
 * The import's file reading: the streaming CSV reader (any split of the input gives the same
 * records), the header rules, and the waves that let a chunk's rows run in parallel with the
 * result of running them in file order.
 */
import { CsvSyntaxError, readCsv } from "../../lib/imports/csv-reader";
import { readHeader, readRow } from "../../lib/imports/employee-columns";
import { waves } from "../../services/data/imports.parts/rows";
import { inDependencyOrder } from "../../lib/imports/row-order";

async function readAll(text: string, piece: number) {
	const pieces: string[] = [];
	for (let i = 0; i < text.length; i += piece) pieces.push(text.slice(i, i + piece));
	const out = [];
	for await (const record of readCsv(pieces)) out.push(record);
	return out;
}

describe("readCsv", () => {
	const text = '\ufeffa,b,c\r\n1,"x, y","line1\r\nline2"\r\n\r\n2,"he said ""hi""",\n3,,"q"';
	const expected = [
		{ line: 1, fields: ["a", "b", "c"] },
		{ line: 2, fields: ["1", "x, y", "line1\r\nline2"] },
		{ line: 5, fields: ["2", 'he said "hi"', ""] },
		{ line: 6, fields: ["3", "", "q"] }
	];

	it.each([1, 2, 3, 7, 1000])("reads the same records whatever the pieces the text arrives in (%i characters)", async piece => {
		await expect(readAll(text, piece)).resolves.toEqual(expected);
	});

	it("refuses a quote inside an unquoted field, text after a closing quote and a quoted field never closed, naming the line", async () => {
		await expect(readAll('a,b\n1,x"y\n', 100)).rejects.toThrow(
			new CsvSyntaxError(2, "Line 2: a quote inside an unquoted field (quote the whole field and double the quote).")
		);
		await expect(readAll('a,b\n"x\ny",1\n2,"a"b\n', 100)).rejects.toThrow(/^Line 4: a quoted field goes on after its closing quote/);
		await expect(readAll('a,b\n1,"open\n2,3\n', 100)).rejects.toThrow(/Line 2: a quoted field is never closed/);
		// Empty lines the parser skipped still count.
		await expect(readAll('a,b\n\n\r\n1,"open\n2,3\n', 100)).rejects.toThrow(/Line 4: a quoted field is never closed/);
	});

	/**
	 * A file of empty or one-field lines once kept the node's only thread busy for seconds: csv-parse
	 * built an error, deep-copying its options, for each line shorter than the header (40 µs
	 * each), and empty lines count against no row limit. Compared with reading as many proper rows
	 * in the same run, so a slow machine slows both alike: before, the one-cell file took five times as long.
	 */
	it("reads a file of empty or one-field lines no slower than one of as many proper rows", async () => {
		const header = "firstName,lastName,workEmail,hireDate\n";
		const fastest = async (body: string) => {
			let best = Infinity;
			for (let run = 0; run < 2; run++) {
				const started = performance.now();
				await readAll(header + body, 64 * 1024);
				best = Math.min(best, performance.now() - started);
			}
			return best;
		};
		const rows = await fastest("Ann,Lee,ann@x.test,2024-01-01\n".repeat(20_000));
		expect(await fastest("x\n".repeat(20_000))).toBeLessThan(3 * rows);
		expect(await fastest("\n".repeat(200_000))).toBeLessThan(3 * rows);
	});
});

describe("the header and rows", () => {
	it("takes known columns in any case and order, and names an unknown, doubled or missing one", () => {
		expect(readHeader({ line: 1, fields: ["WorkEmail", "firstname", "lastName", "hireDate"] })).toEqual(["workEmail", "firstName", "lastName", "hireDate"]);
		expect(() => readHeader({ line: 1, fields: ["firstName", "lastName", "workEmail", "hireDate", "salary"] })).toThrow("Parameters validation error!");
		expect(() => readHeader({ line: 1, fields: ["firstName", "firstName", "lastName", "workEmail", "hireDate"] })).toThrow("Parameters validation error!");
		expect(() => readHeader({ line: 1, fields: ["firstName", "lastName", "hireDate"] })).toThrow("Parameters validation error!");
	});

	it("drops empty cells and the quote our own export puts before a formula-like text", () => {
		expect(readRow(["firstName", "phone", "homeAddress"], { line: 3, fields: [" Ann ", "'+33 1 23", ""] })).toEqual({
			row: 3,
			cells: { firstName: "Ann", phone: "+33 1 23" }
		});
		expect(readRow(["firstName", "homeAddress"], { line: 4, fields: ["''+Quoted", "'quoted"] }).cells).toEqual({
			firstName: "'+Quoted",
			homeAddress: "'quoted"
		});
	});
});

describe("a row longer than the header", () => {
	it("is refused, naming its line, when it holds text past the last column; empty cells there are let through", () => {
		const columns = ["firstName", "homeAddress"] as const;
		expect(() => readRow(columns, { line: 7, fields: ["Ann", "1 Main St", " Springfield"] })).toThrow(
			expect.objectContaining({
				code: 422,
				data: [{ type: "columnCount", field: "file", message: expect.stringMatching(/^Line 7: 3 cells, but the header names 2 columns/) }]
			})
		);
		expect(readRow(columns, { line: 8, fields: ["Ann", "1 Main St", "", " "] })).toEqual({ row: 8, cells: { firstName: "Ann", homeAddress: "1 Main St" } });
	});
});

describe("waves", () => {
	const row = (row: number, cells: Record<string, string>) => ({ row, cells });

	it("puts independent rows together, a repeated key and a manager hired in the chunk later", () => {
		const a = row(2, { employeeNumber: "A", workEmail: "a@x.co" });
		const b = row(3, { employeeNumber: "B", workEmail: "b@x.co", manager: "A" });
		const c = row(4, { employeeNumber: "C", workEmail: "c@x.co" });
		const a2 = row(5, { employeeNumber: "A", workEmail: "a@x.co" });
		const d = row(6, { employeeNumber: "D", workEmail: "d@x.co", manager: "b@x.co" });
		const e = row(7, { employeeNumber: "E", workEmail: "e@x.co", manager: "Z" });
		// b waits for a2 too (it may change A, b's manager): conservative, never wrong.
		expect(waves([a, b, c, a2, d, e])).toEqual([[a, c, e], [a2], [b], [d]]);
	});
});

describe("inDependencyOrder", () => {
	const row = (row: number, cells: Record<string, string>) => ({ row, cells });
	const rowsOf = (rows: Array<{ row: number }>) => rows.map(r => r.row);

	it("puts each row after its manager's rows and after the earlier rows with its keys; the rest keep the file's order", () => {
		const b = row(2, { employeeNumber: "B", manager: "a@x.co" });
		const c = row(3, { employeeNumber: "C" });
		const a = row(4, { employeeNumber: "A", workEmail: "a@x.co", manager: "Z" });
		const a2 = row(5, { employeeNumber: "A", workEmail: "a@x.co" });
		const d = row(6, { employeeNumber: "D", manager: "B" });
		// b waits for every row that writes its manager (a and the later a2), as waves do.
		expect(rowsOf(inDependencyOrder([b, c, a, a2, d]))).toEqual([4, 5, 2, 3, 6]);
	});

	it("keeps every row of a loop of managers, once, and what depends on none where it was", () => {
		const p = row(2, { employeeNumber: "P", manager: "Q" });
		const q = row(3, { employeeNumber: "Q", manager: "R" });
		const r = row(4, { employeeNumber: "R", manager: "P" });
		const self = row(5, { employeeNumber: "S", manager: "S" });
		const ordered = rowsOf(inDependencyOrder([p, q, r, self]));
		expect(ordered.slice().sort()).toEqual([2, 3, 4, 5]);
		expect(ordered[3]).toBe(5);
	});

	it("orders a chain of 50,000 managers written bottom-up, without overflowing the stack", () => {
		const rows = Array.from({ length: 50_000 }, (_, i) => row(i + 2, { employeeNumber: `E${i}`, manager: `E${i + 1}` }));
		const ordered = inDependencyOrder(rows);
		expect(ordered[0].row).toBe(50_001);
		expect(ordered[49_999].row).toBe(2);
	});
});
