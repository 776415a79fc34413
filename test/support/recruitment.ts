/** Helpers for the recruitment suites: a company with staff and hiring managers, and pipeline fixtures. */
import request from "supertest";
import type { Application, Candidate, Interview, JobOpening, Offer, Stage } from "../../lib/names/recruitment";
import { type HiredEmployee, createDepartment, createPosition, hire, linkedUser } from "./employees";
import { type Session, type Signup, bearer, createUser, signup, uniqueEmail } from "./http";

/** A logged-in user of the company. */
export type User = { id: string; email: string } & Session;

export interface Company {
	owner: Signup;
	hr: User;
	/** A plain employee user: recruitment is closed to them. */
	employee: User;
	departmentId: string;
	positionId: string;
	/** The hiring manager of the company's openings, and their logged-in user (token carries employeeId). */
	hiringManager: HiredEmployee;
	manager: User;
	/** Another manager, who hires for none of the openings made by `opening()` unless told. */
	otherManagerEmployee: HiredEmployee;
	otherManager: User;
	interviewer: HiredEmployee;
}

export type As = { accessToken: string };

/** Thin supertest wrappers under /api/v1 with a bearer token. */
export function client(url: string) {
	const at = (path: string) => `/api/v1${path}`;
	return {
		get: (path: string, as: As) => request(url).get(at(path)).set(bearer(as.accessToken)),
		post: (path: string, as: As, body: object = {}) => request(url).post(at(path)).set(bearer(as.accessToken)).send(body),
		patch: (path: string, as: As, body: object = {}) => request(url).patch(at(path)).set(bearer(as.accessToken)).send(body),
		del: (path: string, as: As) => request(url).delete(at(path)).set(bearer(as.accessToken))
	};
}

function expectCreated(what: string, res: request.Response): void {
	if (res.status !== 201) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function setUpCompany(url: string, name: string): Promise<Company> {
	const owner = await signup(url, name);
	const [hr, employee, departmentId, positionId] = await Promise.all([
		createUser(url, owner, "hr"),
		createUser(url, owner, "employee"),
		createDepartment(url, owner, "Engineering"),
		createPosition(url, owner, `Engineer ${uniqueEmail("p")}`)
	]);
	const [hiringManager, otherManagerEmployee, interviewer] = await Promise.all([
		hire(url, owner, { firstName: "Hana", lastName: "Hiring", departmentId }),
		hire(url, owner, { firstName: "Otto", lastName: "Other", departmentId }),
		hire(url, owner, { firstName: "Ines", lastName: "Interviewer", departmentId })
	]);
	const [manager, otherManager] = await Promise.all([
		linkedUser(url, owner, "manager", hiringManager.id),
		linkedUser(url, owner, "manager", otherManagerEmployee.id)
	]);
	return { owner, hr, employee, departmentId, positionId, hiringManager, manager, otherManagerEmployee, otherManager, interviewer };
}

export function openingBody(company: Company, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		title: "Backend Engineer",
		departmentId: company.departmentId,
		hiringManagerId: company.hiringManager.id,
		headcount: 2,
		status: "open",
		...overrides
	};
}

export async function createOpening(url: string, company: Company, overrides: Record<string, unknown> = {}): Promise<JobOpening> {
	const res = await client(url).post("/job-openings", company.hr, openingBody(company, overrides));
	expectCreated("opening", res);
	return res.body;
}

export function candidateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { firstName: "Cara", lastName: "Candidate", email: uniqueEmail("cara"), source: "job_board", consentToKeepData: true, ...overrides };
}

export async function createCandidate(url: string, company: Company, overrides: Record<string, unknown> = {}): Promise<Candidate> {
	const res = await client(url).post("/candidates", company.hr, candidateBody(overrides));
	expectCreated("candidate", res);
	return res.body;
}

export async function apply(url: string, company: Company, candidateId: string, openingId: string): Promise<Application> {
	const res = await client(url).post("/applications", company.hr, { candidateId, openingId });
	expectCreated("application", res);
	return res.body;
}

/** Moves an application through `stages` one call each, as `as`; fails loudly on any refusal. */
export async function moveThrough(url: string, as: As, applicationId: string, stages: Stage[]): Promise<Application> {
	let last: Application | undefined;
	for (const stage of stages) {
		const res = await client(url).post(`/applications/${applicationId}/move`, as, { stage });
		if (res.status !== 200) throw new Error(`move to ${stage} failed: ${res.status} ${JSON.stringify(res.body)}`);
		last = res.body;
	}
	if (!last) throw new Error("no stages to move through");
	return last;
}

const PATH_TO: Record<string, Stage[]> = {
	applied: [],
	screening: ["screening"],
	interview: ["screening", "interview"],
	offer: ["screening", "interview", "offer"],
	rejected: ["rejected"],
	withdrawn: ["withdrawn"]
};

export interface Pipeline {
	opening: JobOpening;
	candidate: Candidate;
	application: Application;
}

/** A fresh candidate applied to `opening` (a new open one by default) and moved to `stage` by hr. */
export async function applicationAt(url: string, company: Company, stage: Stage, opening?: JobOpening): Promise<Pipeline> {
	const theOpening = opening ?? (await createOpening(url, company));
	const candidate = await createCandidate(url, company);
	let application = await apply(url, company, candidate.id, theOpening.id);
	if (PATH_TO[stage].length > 0) application = await moveThrough(url, company.hr, application.id, PATH_TO[stage]);
	return { opening: theOpening, candidate, application };
}

export async function scheduleInterview(url: string, company: Company, applicationId: string, scheduledAt = "2030-03-01T09:00:00Z"): Promise<Interview> {
	const res = await client(url).post("/interviews", company.hr, { applicationId, scheduledAt, interviewerIds: [company.interviewer.id] });
	expectCreated("interview", res);
	return res.body;
}

export async function createOffer(url: string, company: Company, applicationId: string, overrides: Record<string, unknown> = {}): Promise<Offer> {
	const res = await client(url).post("/offers", company.hr, { applicationId, startDate: "2030-04-01", salary: 70000, currency: "EUR", ...overrides });
	expectCreated("offer", res);
	return res.body;
}
