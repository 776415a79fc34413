/**
 * Leave workflow: who may approve or reject a leave request. The employee's manager (at any
 * depth of the org chart, while their own employment is active) or staff (owner, admin, hr)
 * decides; nobody decides their own request. The leave data service stores the decision, guards the status machine and
 * publishes LeaveEvents.requestDecided with it (from the request's outbox).
 */
import type { Service, ServiceSchema } from "moleculer";
import { ForbiddenError, NotFoundError } from "../../lib/errors";
import { type AuthUser, type RosterContext, hasRole, isStaff, requireUser } from "../../lib/meta";
import { EmployeeActions } from "../../lib/names/employees";
import { type EmployeeLinks, IdentityActions } from "../../lib/names/identity";
import { LeaveActions, type LeaveRequest } from "../../lib/names/leave";
import { id, optionalProse } from "../../lib/params";
import { json } from "../../lib/openapi/responses";
import * as Leave from "../../lib/openapi/contexts/leave";

// ---- Types -------------------------------------------------------------------------------

interface DecisionParams {
	id: string;
	note?: string;
}

type Decision = "approved" | "rejected";

interface DecideCallParams {
	id: string;
	decision: Decision;
	note?: string;
}

interface IsManagerOfParams {
	managerId: string;
	employeeId: string;
}

interface WorkflowMethods {
	decideRequest(ctx: RosterContext<DecisionParams>, decision: Decision): Promise<LeaveRequest>;
	checkDecider(ctx: RosterContext, user: AuthUser, request: LeaveRequest): Promise<void>;
}

type WorkflowThis = Service & WorkflowMethods;

// ---- Helpers -----------------------------------------------------------------------------

const decisionParams = { $$strict: true, id, note: optionalProse(500) } as const;

// ---- Service -----------------------------------------------------------------------------

const LeaveWorkflowService: ServiceSchema = {
	name: "leaveWorkflow",

	settings: {
		rest: "/"
	},

	actions: {
		approve: {
			rest: "POST /leave-requests/:id/approve",
			openapi: { responses: { 200: json(Leave.LeaveRequest) } },
			auth: {},
			params: decisionParams,
			handler(this: WorkflowThis, ctx: RosterContext<DecisionParams>): Promise<LeaveRequest> {
				return this.decideRequest(ctx, "approved");
			}
		},

		reject: {
			rest: "POST /leave-requests/:id/reject",
			openapi: { responses: { 200: json(Leave.LeaveRequest) } },
			auth: {},
			params: decisionParams,
			handler(this: WorkflowThis, ctx: RosterContext<DecisionParams>): Promise<LeaveRequest> {
				return this.decideRequest(ctx, "rejected");
			}
		}
	},

	methods: {
		async decideRequest(this: WorkflowThis, ctx: RosterContext<DecisionParams>, decision: Decision): Promise<LeaveRequest> {
			const user = requireUser(ctx);
			const request = await ctx.call<LeaveRequest, { id: string }>(LeaveActions.getRequest, { id: ctx.params.id });
			await this.checkDecider(ctx, user, request);
			return ctx.call<LeaveRequest, DecideCallParams>(LeaveActions.decide, { id: request.id, decision, note: ctx.params.note });
		},

		/**
		 * Staff, or a manager above the employee; never the employee themself. A manager is a
		 * user with the manager role whose employee is above the requester at any depth and
		 * still employed (isManagerOf answers false for a terminated one): the same people who
		 * see the request (the leave and employees contexts scope by the role and the record too).
		 * Anyone else cannot see it, so is told it does not exist.
		 */
		async checkDecider(ctx: RosterContext, user: AuthUser, request: LeaveRequest): Promise<void> {
			// "Own" is asked of identity at decision time, across every employee the user was ever
			// linked to: a link changed since the request (by anyone) changes nothing.
			const links = await ctx.call<EmployeeLinks, { userId: string }>(IdentityActions.employeeLinks, { userId: user.id });
			const own = [user.employeeId, links.employeeId, ...links.linkedEmployeeIds].includes(request.employeeId);
			if (own) throw new ForbiddenError("You cannot decide your own leave request");
			if (isStaff(user)) return;
			const manages =
				!!user.employeeId &&
				hasRole(user, "manager") &&
				(await ctx.call<boolean, IsManagerOfParams>(EmployeeActions.isManagerOf, { managerId: user.employeeId, employeeId: request.employeeId }));
			// A request outside the caller's view is as absent as a missing one (GET /leave-requests/:id says 404 too).
			if (!manages) throw new NotFoundError("LeaveRequest", request.id);
		}
	}
};

export default LeaveWorkflowService;
