/**
 * The product's story end to end over HTTP, one step after another as a customer lives it: a
 * company signs up, builds its org, hires through recruiting, and the new employee takes leave
 * that only the right manager may approve. Runs in one process (story.spec.ts) and on a
 * cluster of gateway, data and application nodes over NATS (test/cluster).
 */
import request from "supertest";
import { mailTo, tokenOf } from "../support/mail";
import { uniqueEmail } from "../support/http";

export interface StoryTarget {
	url: string;
	stop(): Promise<void>;
}

const PASSWORD = "Story-Password-7";

export function defineStory(title: string, start: () => Promise<StoryTarget>): void {
	describe(title, () => {
		let target: StoryTarget;
		beforeAll(async () => {
			target = await start();
		});
		afterAll(() => target?.stop());

		it("signs up, hires through recruiting, and the new employee's leave is approved by the right manager", async () => {
			const url = target.url;
			let token = "";
			const call = async (method: "get" | "post" | "patch", path: string, body?: object, as = token) => {
				const req = request(url)[method](`/api/v1${path}`).set("Authorization", `Bearer ${as}`);
				return body ? req.send(body) : req;
			};
			const ok = async (method: "get" | "post" | "patch", path: string, body?: object, as = token) => {
				const res = await call(method, path, body, as);
				if (res.status >= 300) throw new Error(`${method.toUpperCase()} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
				return res.body;
			};
			const loginAs = async (email: string, password = PASSWORD) =>
				(await request(url).post("/api/v1/auth/login").send({ email, password })).body.accessToken as string;
			const year = new Date().getUTCFullYear() + 1;

			// 1. A company signs up; its owner confirms the address from the mail and is signed in.
			const sofia = uniqueEmail("sofia");
			expect(
				(await request(url).post("/api/v1/auth/signup").send({ company: "Story GmbH", name: "Sofia Owner", email: sofia, password: PASSWORD })).status
			).toBe(202);
			const signup = await request(url)
				.post("/api/v1/auth/activate")
				.send({ token: tokenOf(await mailTo(sofia, "signup")), password: PASSWORD });
			expect(signup.status).toBe(201);
			token = signup.body.accessToken;

			// 2. Departments and positions.
			const engineering = await ok("post", "/departments", { name: "Engineering" });
			const platform = await ok("post", "/departments", { name: "Platform", parentId: engineering.id });
			const sales = await ok("post", "/departments", { name: "Sales" });
			const backend = await ok("post", "/positions", { title: "Backend Engineer", departmentId: platform.id });
			const annual = await ok("post", "/leave-types", { name: "Annual leave", paid: true, yearlyAllowance: 25 });

			// Two managers with accounts: one will hire, the other runs another department.
			const managers: Record<string, { employeeId: string; token: string }> = {};
			for (const [name, dept] of [
				["Maya", platform.id],
				["Sam", sales.id]
			] as const) {
				const email = uniqueEmail(name.toLowerCase());
				const employee = await ok("post", "/employees", {
					firstName: name,
					lastName: "Manager",
					workEmail: email,
					hireDate: "2020-01-06",
					departmentId: dept
				});
				await ok("post", "/users", { email, name: `${name} Manager`, role: "manager", employeeId: employee.id });
				const invited = await request(url)
					.post("/api/v1/auth/activate")
					.send({ token: tokenOf(await mailTo(email, "invitation")), password: PASSWORD });
				expect(invited.status).toBe(200);
				managers[name] = { employeeId: employee.id, token: await loginAs(email) };
			}

			// 3. A job opens; a candidate applies, is screened and interviewed.
			const opening = await ok("post", "/job-openings", {
				title: "Backend Engineer",
				departmentId: platform.id,
				hiringManagerId: managers.Maya.employeeId,
				status: "open"
			});
			const candidateEmail = uniqueEmail("cole");
			const candidate = await ok("post", "/candidates", {
				firstName: "Cole",
				lastName: "Candidate",
				email: candidateEmail,
				source: "referral",
				consentToKeepData: true
			});
			const application = await ok("post", "/applications", { candidateId: candidate.id, openingId: opening.id });
			await ok("post", `/applications/${application.id}/move`, { stage: "screening" });
			const interview = await ok("post", "/interviews", {
				applicationId: application.id,
				scheduledAt: `${year}-01-05T10:00:00Z`,
				interviewerIds: [managers.Maya.employeeId]
			});
			expect((await ok("get", `/applications/${application.id}`)).stage).toBe("interview");
			// The hiring manager records the result.
			await ok("patch", `/interviews/${interview.id}`, { feedback: "Strong systems design", result: "pass" }, managers.Maya.token);

			// 4. An offer is made and accepted: onboarding hires the candidate.
			await ok("post", `/applications/${application.id}/move`, { stage: "offer" });
			const offer = await ok("post", "/offers", {
				applicationId: application.id,
				positionId: backend.id,
				salary: 80000,
				currency: "EUR",
				startDate: `${year}-01-05`
			});
			await ok("post", `/offers/${offer.id}/send`);
			const accepted = await call("post", `/offers/${offer.id}/accept`);
			expect(accepted.status).toBe(201);
			const newcomer = accepted.body.employee;
			expect(newcomer).toMatchObject({
				departmentId: platform.id,
				positionId: backend.id,
				managerId: managers.Maya.employeeId,
				hireDate: `${year}-01-05`
			});

			// 5. The new employee follows the invitation, chooses a password and asks for three days off.
			expect(accepted.body).not.toHaveProperty("initialPassword");
			const joined = await request(url)
				.post("/api/v1/auth/activate")
				.send({ token: tokenOf(await mailTo(candidateEmail, "invitation")), password: "Coles-Own-Secret-Phrase" });
			expect(joined.status).toBe(200);
			const cole = await loginAs(candidateEmail, "Coles-Own-Secret-Phrase");
			expect((await ok("get", "/me", undefined, cole)).employeeId).toBe(newcomer.id);
			const before = await ok("get", `/leave-balances?year=${year}`, undefined, cole);
			expect(before.balances[0]).toMatchObject({ leaveTypeId: annual.id, entitled: 25, remaining: 25 });
			// Wednesday to Friday in the second full week of March.
			const march = new Date(Date.UTC(year, 2, 8));
			while (march.getUTCDay() !== 3) march.setUTCDate(march.getUTCDate() + 1);
			const startDate = march.toISOString().slice(0, 10);
			march.setUTCDate(march.getUTCDate() + 2);
			const leave = await ok(
				"post",
				"/leave-requests",
				{ leaveTypeId: annual.id, startDate, endDate: march.toISOString().slice(0, 10), reason: "Moving flat" },
				cole
			);
			expect(leave).toMatchObject({ status: "requested", days: 3 });

			// 6. Nobody approves their own leave; the wrong manager cannot; the right one does.
			expect((await call("post", `/leave-requests/${leave.id}/approve`, {}, cole)).status).toBe(403);
			expect((await call("post", `/leave-requests/${leave.id}/approve`, {}, managers.Sam.token)).status).toBe(404);
			expect((await ok("get", `/leave-requests/${leave.id}`, undefined, cole)).status).toBe("requested");
			const approved = await ok("post", `/leave-requests/${leave.id}/approve`, {}, managers.Maya.token);
			expect(approved).toMatchObject({ status: "approved" });

			// 7. The balance and the reports show it at once.
			const after = await ok("get", `/leave-balances?year=${year}`, undefined, cole);
			expect(after.balances[0]).toMatchObject({ taken: 3, pending: 0, remaining: 22 });
			const headcount = await ok("get", "/reports/headcount");
			expect(headcount.departments.find((d: { departmentId: string }) => d.departmentId === platform.id)).toMatchObject({
				departmentName: "Platform",
				active: 2
			});
			const leaveReport = await ok("get", `/reports/leave?year=${year}`);
			expect(leaveReport.types).toEqual([
				{ leaveTypeId: annual.id, leaveTypeName: "Annual leave", months: [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0], total: 3 }
			]);
			const recruiting = await ok("get", "/reports/recruiting");
			expect(recruiting.funnel.find((f: { stage: string }) => f.stage === "hired").count).toBe(1);
			expect(recruiting.openings.open).toBe(1);
		});
	});
}
