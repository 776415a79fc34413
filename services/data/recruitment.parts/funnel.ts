/** The recruiting funnel, the reports service's input: a use case of its own, as it counts openings and applications both. */
import type { ServiceSchema } from "moleculer";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { OPENING_STATUSES, STAGES } from "../../../lib/names/recruitment";
import { REPORT_SOURCE_CALLER_LIMIT, type RecruitingFunnel } from "../../../lib/names/reports";
import type { Store } from "../../../mixins/db.mixin";
import { APPLICATIONS, type RecruitmentThis } from "./shared";

export const FunnelPart: Partial<ServiceSchema> = {
	actions: {
		/** The reports service's input: openings by status and applications by stage, counted here. */
		funnel: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: {},
			async handler(this: RecruitmentThis, ctx: RosterContext): Promise<RecruitingFunnel> {
				const { tenantId } = requireUser(ctx);
				const count = (store: Store, field: string, value: string) => store.count({ query: { tenantId, [field]: value } });
				const [openings, applications] = await Promise.all([
					Promise.all(OPENING_STATUSES.map(status => count(this.adapter, "status", status))),
					Promise.all(STAGES.map(stage => count(this.store(APPLICATIONS), "stage", stage)))
				]);
				return {
					openings: Object.fromEntries(OPENING_STATUSES.map((status, i) => [status, openings[i]])) as RecruitingFunnel["openings"],
					applications: Object.fromEntries(STAGES.map((stage, i) => [stage, applications[i]]))
				};
			}
		}
	}
};
