/** The demo company's shape and a deterministic source of names, so every seed looks alike. */

export const DEMO_PASSWORD = "Demo-Password-1";
export const DEMO_DOMAIN = "demo.roster.test";
export const DEMO_COMPANY = "Acme Demo";

/** The department tree: a name, its parent's name, and how many people it has besides its head. */
export const DEPARTMENTS: Array<{ name: string; parent: string | null; staff: number }> = [
	{ name: "Acme HQ", parent: null, staff: 4 },
	{ name: "Engineering", parent: "Acme HQ", staff: 6 },
	{ name: "Platform", parent: "Engineering", staff: 22 },
	{ name: "Web", parent: "Engineering", staff: 20 },
	{ name: "Mobile", parent: "Engineering", staff: 16 },
	{ name: "Sales", parent: "Acme HQ", staff: 6 },
	{ name: "Sales EMEA", parent: "Sales", staff: 18 },
	{ name: "Sales Americas", parent: "Sales", staff: 18 },
	{ name: "Marketing", parent: "Acme HQ", staff: 14 },
	{ name: "People", parent: "Acme HQ", staff: 8 },
	{ name: "Finance", parent: "Acme HQ", staff: 10 },
	{ name: "Operations", parent: "Acme HQ", staff: 12 },
	{ name: "Support", parent: "Operations", staff: 34 }
];

export const POSITIONS = [
	"Head of Department",
	"Software Engineer",
	"Senior Software Engineer",
	"Engineering Manager",
	"Product Designer",
	"Account Executive",
	"Sales Development Representative",
	"Marketing Specialist",
	"HR Partner",
	"Accountant",
	"Operations Analyst",
	"Support Agent",
	"Support Lead"
];

export const OPENINGS = [
	{ title: "Senior Backend Engineer", department: "Platform", status: "open" as const },
	{ title: "Frontend Engineer", department: "Web", status: "open" as const },
	{ title: "Account Executive EMEA", department: "Sales EMEA", status: "open" as const },
	{ title: "Support Agent", department: "Support", status: "draft" as const }
];

const FIRST = [
	"Ada",
	"Ben",
	"Cleo",
	"Dev",
	"Elif",
	"Finn",
	"Gia",
	"Hugo",
	"Iris",
	"Jon",
	"Kira",
	"Liam",
	"Mira",
	"Noah",
	"Omar",
	"Pia",
	"Quinn",
	"Rosa",
	"Sami",
	"Tara",
	"Uma",
	"Vik",
	"Wen",
	"Yara",
	"Zoe"
];
const LAST = [
	"Adler",
	"Baker",
	"Costa",
	"Dubois",
	"Eriksen",
	"Fischer",
	"Garcia",
	"Haddad",
	"Ito",
	"Jensen",
	"Kowalski",
	"Lopez",
	"Moreau",
	"Nakamura",
	"Okafor",
	"Petrov",
	"Quist",
	"Rossi",
	"Silva",
	"Tanaka",
	"Ueda",
	"Varga",
	"Weber",
	"Yilmaz",
	"Zhou"
];

/** mulberry32: small, fast and the same on every machine. */
export function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** The n-th person's name: every combination of first and last name before any repeats. */
export function personName(n: number): { firstName: string; lastName: string } {
	return { firstName: FIRST[n % FIRST.length], lastName: LAST[Math.floor(n / FIRST.length) % LAST.length] };
}

export function workEmail(n: number): string {
	const { firstName, lastName } = personName(n);
	return `${firstName}.${lastName}.${n}@${DEMO_DOMAIN}`.toLowerCase();
}

/** The next working day (Monday to Friday) on or after `date`, as YYYY-MM-DD. */
export function workingDay(year: number, month: number, day: number): string {
	const d = new Date(Date.UTC(year, month - 1, day));
	while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
	return d.toISOString().slice(0, 10);
}
