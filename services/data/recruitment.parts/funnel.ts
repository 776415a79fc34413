/** The recruiting funnel, the reports service's input: a use case of its own, as it counts openings and applications both. */
import type { ServiceSchema } from "moleculer";
import { type RosterContext, requireUser } from "../../../lib/meta";
import { OPENING_STATUSES, STAGES } from "../../../lib/names/recruitment";
import { FUNNEL_STAGES, type OpeningFunnelRow, REPORT_SOURCE_CALLER_LIMIT, type RecruitingFunnel } from "../../../lib/names/reports";
import { id } from "../../../lib/params";
import type { Store } from "../../../mixins/db.mixin";
import { APPLICATIONS, type OpeningDoc, type RecruitmentThis } from "./shared";

interface FunnelByOpeningParams {
	hiringManagerIds?: string[];
}

/** The paths of an application's figures (lib/recruitment/figures.ts) the funnel sums. */
const SUMS = [
	...FUNNEL_STAGES.map(stage => `figures.reached.${stage}`),
	...STAGES.flatMap(stage => [`figures.msInStage.${stage}`, `figures.visits.${stage}`]),
	"figures.hired",
	"figures.hiredAfterMs"
];

const perStage = <S extends string>(stages: readonly S[], value: (stage: S) => number) =>
	Object.fromEntries(stages.map(stage => [stage, value(stage)])) as Record<S, number>;

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
		},

		/**
		 * Per opening (of the hiring managers given, else all): the applications that reached each
		 * stage, those in each stage now, the time spent in each, and time to hire, summed by the
		 * database over the figures each application keeps. Openings without applications are rows too.
		 */
		funnelByOpening: {
			visibility: "public",
			readOnly: true,
			callerRateLimit: REPORT_SOURCE_CALLER_LIMIT,
			params: { hiringManagerIds: { type: "array", items: id, optional: true } },
			async handler(this: RecruitmentThis, ctx: RosterContext<FunnelByOpeningParams>): Promise<OpeningFunnelRow[]> {
				const { tenantId } = requireUser(ctx);
				const { hiringManagerIds } = ctx.params;
				const openings: OpeningDoc[] = await this.adapter.find({
					query: hiringManagerIds ? { tenantId, hiringManagerId: { $in: hiringManagerIds } } : { tenantId },
					sort: ["title"]
				});
				if (openings.length === 0) return [];
				const apps = this.store(APPLICATIONS);
				const query = hiringManagerIds ? { tenantId, openingId: { $in: openings.map(o => o._id) } } : { tenantId };
				const [sums, stages] = await Promise.all([apps.sumBy(query, ["openingId"], SUMS), apps.countBy(query, ["openingId", "stage"])]);
				const sumsOf = new Map(sums.map(row => [row.openingId as string, row]));
				return openings.map(opening => {
					const row = sumsOf.get(opening._id);
					const sum = (path: string) => row?.sums[path] ?? 0;
					const inStage = new Map(stages.filter(s => s.openingId === opening._id).map(s => [s.stage as string, s.count]));
					return {
						openingId: opening._id,
						title: opening.title,
						status: opening.status,
						applications: row?.count ?? 0,
						// Every application reached "applied", those stored before figures were kept included.
						reached: { ...perStage(FUNNEL_STAGES, stage => sum(`figures.reached.${stage}`)), applied: row?.count ?? 0 },
						current: perStage(STAGES, stage => inStage.get(stage) ?? 0),
						msInStage: perStage(STAGES, stage => sum(`figures.msInStage.${stage}`)),
						visits: perStage(STAGES, stage => sum(`figures.visits.${stage}`)),
						hired: sum("figures.hired"),
						msToHire: sum("figures.hiredAfterMs")
					};
				});
			}
		}
	}
};
