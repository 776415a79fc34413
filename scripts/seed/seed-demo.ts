/**
 * Seeds the demo company through the services' own actions, as its owner would over the API:
 * a department tree with about 200 employees, open positions with candidates in every stage,
 * and leave in every state. Used by `npm run seed` and by the REPL's `seed` command.
 */
import type { ServiceBroker } from "moleculer";
import { config } from "../../lib/config";
import type { AuthUser, RequestMeta } from "../../lib/meta";
import { DEMO_COMPANY, DEMO_DOMAIN, DEMO_PASSWORD, DEPARTMENTS, OPENINGS, POSITIONS, personName, random, workEmail, workingDay } from "./demo-data";

export interface DemoLogin {
	role: string;
	email: string;
	password: string;
	note: string;
}

export interface SeedResult {
	created: boolean;
	logins: DemoLogin[];
	/** People invited by onboarding: they choose a password from the link in their mail. */
	invited?: string[];
	counts: Record<string, number>;
}

/** What the seed reads back from what it creates: the new record's id (answers are typed where more is read). */
interface Created {
	id: string;
}

type Call = <T = Created>(action: string, params?: object) => Promise<T>;

const OWNER_EMAIL = `owner@${DEMO_DOMAIN}`;

function login(role: string, email: string, note: string, password = DEMO_PASSWORD): DemoLogin {
	return { role, email, password, note };
}

/** Runs `task` over `items`, a few at a time: enough to be quick, few enough to stay polite. */
async function inBatches<T, R>(items: T[], size: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results: R[] = [];
	for (let i = 0; i < items.length; i += size) {
		results.push(...(await Promise.all(items.slice(i, i + size).map((item, j) => task(item, i + j)))));
	}
	return results;
}

/** The services seedDemo calls: a node that joined a cluster a moment ago waits until it knows them all. */
export const SEED_SERVICES = ["identity", "org", "employees", "leave", "recruitment", "leaveWorkflow", "recruiting", "onboarding"];

export async function seedDemo(broker: ServiceBroker): Promise<SeedResult> {
	const year = new Date().getUTCFullYear();
	const signup = await broker
		.call<{ user: { id: string }; tenant: { id: string } }, object>("identity.provision", {
			company: DEMO_COMPANY,
			name: "Olivia Owner",
			email: OWNER_EMAIL,
			role: "owner",
			password: DEMO_PASSWORD
		})
		.catch((err: { code?: number }) => {
			if (err.code === 409) return null;
			throw err;
		});
	if (!signup) return { created: false, logins: [login("owner", OWNER_EMAIL, "the demo company was seeded before")], counts: {} };

	const owner: AuthUser = {
		id: signup.user.id,
		tenantId: signup.tenant.id,
		roles: ["owner"],
		employeeId: null,
		sessionId: "seed"
	};
	const meta: RequestMeta = { user: owner };
	const call: Call = (action, params = {}) => broker.call(action, params, { meta });
	const rnd = random(42);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];

	// ---- Org ----
	const [berlin, austin] = await Promise.all([
		call("org.createLocation", { name: "Berlin", country: "DE", timezone: "Europe/Berlin", address: "Alexanderplatz 1, 10178 Berlin" }),
		call("org.createLocation", { name: "Austin", country: "US", timezone: "America/Chicago", address: "100 Congress Ave, Austin TX" })
	]);
	const departmentIds = new Map<string, string>();
	for (const dept of DEPARTMENTS) {
		const parentId = dept.parent ? departmentIds.get(dept.parent)! : null;
		const locationId = dept.name.includes("Americas") ? austin.id : berlin.id;
		departmentIds.set(dept.name, (await call("org.createDepartment", { name: dept.name, parentId, locationId })).id);
	}
	const positionIds = new Map<string, string>();
	await Promise.all(POSITIONS.map(async title => positionIds.set(title, (await call("org.createPosition", { title })).id)));

	// ---- Employees: each department's head reports to its parent's head ----
	let n = 0;
	const heads = new Map<string, string>();
	const members: Array<{ id: string; department: string }> = [];
	const hire = (department: string, managerId: string | null, position: string) => {
		const i = n++;
		return call("employees.hire", {
			...personName(i),
			workEmail: workEmail(i),
			hireDate: workingDay(year - 1 - (i % 6), 1 + (i % 12), 1 + (i % 27)),
			departmentId: departmentIds.get(department),
			positionId: positionIds.get(position),
			managerId,
			employmentType: i % 17 === 0 ? "part_time" : "full_time",
			phone: `+49 30 ${String(1000000 + i)}`,
			birthDate: `${1970 + (i % 30)}-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}`
		});
	};
	for (const dept of DEPARTMENTS) {
		const head = await hire(dept.name, dept.parent ? heads.get(dept.parent)! : null, "Head of Department");
		heads.set(dept.name, head.id);
		members.push({ id: head.id, department: dept.name });
	}
	for (const dept of DEPARTMENTS) {
		const roles = POSITIONS.slice(1);
		const staff = await inBatches(Array.from({ length: dept.staff }), 10, () => hire(dept.name, heads.get(dept.name)!, pick(roles)));
		members.push(...staff.map(e => ({ id: e.id, department: dept.name })));
	}
	const leaver = members[members.length - 1];
	await call("employees.terminate", { id: leaver.id, date: workingDay(year, 1, 10), reason: "Resigned" });

	// ---- Demo users, linked to their employee records ----
	const managerEmployee = heads.get("Platform")!;
	const reportEmployee = members.find(m => m.department === "Platform" && m.id !== managerEmployee)!.id;
	const peopleHead = heads.get("People")!;
	const users = [
		{ role: "hr", email: `hr@${DEMO_DOMAIN}`, name: "Harriet HR", employeeId: peopleHead, note: "sees and manages the whole company" },
		{ role: "manager", email: `manager@${DEMO_DOMAIN}`, name: "Max Manager", employeeId: managerEmployee, note: "heads Platform: approves its leave" },
		{ role: "employee", email: `employee@${DEMO_DOMAIN}`, name: "Emil Employee", employeeId: reportEmployee, note: "reports to the manager" }
	];
	for (const u of users) {
		const { user } = await call<{ user: Created }>("identity.provision", { email: u.email, name: u.name, role: u.role, password: DEMO_PASSWORD });
		await call("identity.linkEmployee", { id: user.id, employeeId: u.employeeId });
	}

	// ---- Leave: types, holidays, entitlements for everyone, requests in every state ----
	const [annual, sick] = await Promise.all([
		call("leave.createLeaveType", { name: "Annual leave", paid: true, yearlyAllowance: 25, carryOverCap: 5 }),
		call("leave.createLeaveType", { name: "Sick leave", paid: true, yearlyAllowance: 10, allowNegative: true }),
		call("leave.createLeaveType", { name: "Unpaid leave", paid: false, yearlyAllowance: 0, allowNegative: true })
	]);
	for (const [date, name] of [
		[`${year}-01-01`, "New Year's Day"],
		[`${year}-05-01`, "Labour Day"],
		[`${year}-12-25`, "Christmas Day"],
		[`${year}-12-26`, "Boxing Day"]
	]) {
		await call("leave.createHoliday", { date, name });
	}
	const active = members.filter(m => m.id !== leaver.id);
	await inBatches(active, 20, m => call("leave.grantEntitlements", { employeeId: m.id, year }));
	const states = ["requested", "approved", "rejected", "cancelled"] as const;
	const requests = await inBatches(active.slice(0, 48), 8, async (m, i) => {
		const start = workingDay(year, 1 + (i % 11), 2 + ((i * 3) % 20));
		const days = 1 + (i % 3);
		const end = workingDay(year, 1 + (i % 11), 2 + ((i * 3) % 20) + days - 1);
		const leaveTypeId = i % 5 === 0 ? sick.id : annual.id;
		const request = await call("leave.createRequest", {
			employeeId: m.id,
			leaveTypeId,
			startDate: start,
			endDate: end < start ? start : end,
			reason: "Demo"
		});
		const state = states[i % states.length];
		if (state === "approved") await call("leaveWorkflow.approve", { id: request.id });
		if (state === "rejected") await call("leaveWorkflow.reject", { id: request.id, note: "Team is short that week" });
		if (state === "cancelled") await call("leave.cancelRequest", { id: request.id });
		return state;
	});
	// The demo employee has something to look at.
	await call("leave.createRequest", {
		employeeId: reportEmployee,
		leaveTypeId: annual.id,
		startDate: workingDay(year, 8, 4),
		endDate: workingDay(year, 8, 8),
		reason: "Summer holiday"
	});

	// ---- Recruiting: openings with candidates in every stage ----
	const interviewer = members.find(m => m.department === "Platform" && m.id !== reportEmployee && m.id !== managerEmployee)!.id;
	const stages = ["applied", "screening", "interview", "offer", "hired", "rejected", "withdrawn"] as const;
	let candidates = 0;
	const invited: string[] = [];
	for (const [o, spec] of OPENINGS.entries()) {
		const opening = await call("recruitment.createOpening", {
			title: spec.title,
			departmentId: departmentIds.get(spec.department),
			hiringManagerId: heads.get(spec.department),
			headcount: 2,
			status: spec.status
		});
		if (spec.status !== "open") continue;
		for (const [s, stage] of stages.entries()) {
			const i = 1000 + o * 10 + s;
			const candidate = await call("recruitment.createCandidate", {
				...personName(i),
				email: `candidate.${i}@example.test`,
				source: pick(["referral", "job_board", "agency", "website"]),
				resumeUrl: `https://cv.example.test/${i}.pdf`,
				consentToKeepData: true
			});
			candidates++;
			const application = await call("recruitment.createApplication", { candidateId: candidate.id, openingId: opening.id });
			const path =
				stage === "rejected" || stage === "withdrawn"
					? ["screening", stage]
					: stages.slice(1, Math.min(stages.indexOf(stage), stages.indexOf("offer")) + 1);
			for (const next of path) {
				if (next === "interview") {
					await call("recruiting.scheduleInterview", {
						applicationId: application.id,
						scheduledAt: `${year + 1}-02-0${1 + s}T10:00:00Z`,
						interviewerIds: [interviewer]
					});
				} else {
					await call("recruiting.move", { id: application.id, stage: next, reason: "Demo" });
				}
			}
			if (stage === "offer" || stage === "hired") {
				const offer = await call("recruitment.createOffer", {
					applicationId: application.id,
					title: spec.title,
					salary: 70000 + o * 5000,
					currency: "EUR",
					startDate: workingDay(year + 1, 3, 1)
				});
				await call("recruitment.sendOffer", { id: offer.id });
				if (stage === "hired" && invited.length === 0) {
					const hired = await call<{ user: { email: string } }>("onboarding.acceptOffer", { id: offer.id });
					invited.push(hired.user.email);
				}
			}
		}
	}

	const logins = [login("owner", OWNER_EMAIL, "owns the demo company"), ...users.map(u => login(u.role, u.email, u.note))];
	return {
		created: true,
		logins,
		invited,
		counts: {
			departments: DEPARTMENTS.length,
			employees: members.length,
			leaveRequests: requests.length + 1,
			openings: OPENINGS.length,
			candidates
		}
	};
}

export function describeSeed(result: SeedResult): string {
	const lines = [result.created ? `Seeded "${DEMO_COMPANY}": ${JSON.stringify(result.counts)}` : `"${DEMO_COMPANY}" exists already.`, "Demo logins:"];
	for (const l of result.logins) lines.push(`  ${l.role.padEnd(8)} ${l.email.padEnd(44)} ${l.password.padEnd(22)} ${l.note}`);
	for (const email of result.invited ?? []) {
		lines.push(
			`  employee ${email.padEnd(44)} ${"(invited)".padEnd(22)} hired through onboarding: the link to choose a password is in ${config().mail.dir}`
		);
	}
	return lines.join("\n");
}
