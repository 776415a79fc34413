/**
 * Who is told, and how they are reached: the people an event concerns (a manager, the staff,
 * interviewers), each user's preferences, mail address and phone.
 *
 * Consumers have no user: they call other contexts' internal actions as the system caller of
 * the event's tenant (lib/meta.ts systemCaller), which scopes those actions' queries to it.
 * Each lookup is one call for all the people it needs (no call per recipient).
 */
import type { ServiceSchema } from "moleculer";
import type { DomainEvent } from "../../../lib/channels/events";
import { systemCaller } from "../../../lib/meta";
import { STAFF_ROLES } from "../../../lib/roles";
import {
	EmployeeActions,
	type EmployeeSummary,
	IdentityActions,
	type LeaveRequestedEvent,
	type NotificationPreferences,
	type UserContact
} from "../../../lib/names";
import { type NotificationsThis, PREFERENCES, type PreferencesDoc, type Recipient, preferencesJSON, userKey } from "./shared";

export interface RecipientsMethods {
	summaries(tenantId: string, ids: string[]): Promise<EmployeeSummary[]>;
	contactsOf(tenantId: string, userIds: string[]): Promise<UserContact[]>;
	staffUserIds(tenantId: string): Promise<string[]>;
	approversOf(event: DomainEvent<LeaveRequestedEvent>, employee: EmployeeSummary | undefined): Promise<string[]>;
	recipients(tenantId: string, userIds: string[]): Promise<Recipient[]>;
	preferencesOf(tenantId: string, userIds: string[]): Promise<Map<string, NotificationPreferences>>;
}

type RecipientsThis = NotificationsThis & RecipientsMethods;

export const RecipientsPart: Partial<ServiceSchema> = {
	methods: {
		/** Each user's mail address (an active account) and phone (their employee record), in two calls. */
		async recipients(this: RecipientsThis, tenantId: string, userIds: string[]): Promise<Recipient[]> {
			const contacts = await this.contactsOf(tenantId, userIds);
			const employeeIds = contacts.map(c => c.employeeId).filter((e): e is string => !!e);
			const employees = await this.summaries(tenantId, employeeIds);
			return contacts.map(c => ({
				userId: c.id,
				email: c.email,
				phone: employees.find(e => e.id === c.employeeId && e.status === "active")?.phone ?? null,
				companyName: c.companyName
			}));
		},

		/**
		 * The manager's user while they may decide the request (leave-workflow's checkDecider): the
		 * manager employed, their account active, with the manager role or a staff one. Otherwise
		 * (or for their own request) the tenant's staff, so that someone who can act is told.
		 */
		async approversOf(this: RecipientsThis, event: DomainEvent<LeaveRequestedEvent>, employee: EmployeeSummary | undefined): Promise<string[]> {
			const [manager] = employee?.managerId ? await this.summaries(event.tenantId, [employee.managerId]) : [];
			const [account] = manager?.status === "active" && manager.userId ? await this.contactsOf(event.tenantId, [manager.userId]) : [];
			const decides = account && (account.role === "manager" || STAFF_ROLES.includes(account.role));
			const approvers = decides ? [account.id] : await this.staffUserIds(event.tenantId);
			// Whoever made the request knows of it.
			return approvers.filter(userId => userId !== event.requestedBy);
		},

		/** The active accounts among `userIds`, with how to reach them and their role. */
		contactsOf(this: RecipientsThis, tenantId: string, userIds: string[]): Promise<UserContact[]> {
			return this.broker.call<UserContact[], { ids: string[] }>(IdentityActions.contacts, { ids: userIds }, { meta: systemCaller(tenantId) });
		},

		async summaries(this: RecipientsThis, tenantId: string, ids: string[]): Promise<EmployeeSummary[]> {
			if (ids.length === 0) return [];
			return this.broker.call<EmployeeSummary[], { ids: string[] }>(EmployeeActions.summaries, { ids }, { meta: systemCaller(tenantId) });
		},

		async staffUserIds(this: RecipientsThis, tenantId: string): Promise<string[]> {
			return this.broker.call<string[], object>(IdentityActions.staffUserIds, {}, { meta: systemCaller(tenantId) });
		},

		async preferencesOf(this: RecipientsThis, tenantId: string, userIds: string[]): Promise<Map<string, NotificationPreferences>> {
			const docs: PreferencesDoc[] = await this.store(PREFERENCES).findByIds(userIds.map(u => userKey(tenantId, u)));
			return new Map(userIds.map(userId => [userId, preferencesJSON(docs.find(d => d.userId === userId && d.tenantId === tenantId))]));
		}
	}
};
