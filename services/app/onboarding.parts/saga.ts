/**
 * Running one onboarding saga, forward or back, from whatever step its log says (the log and
 * why any step may run again: lib/onboarding/saga.ts). Each step is recorded on the offer
 * before it runs, which also renews the holder's lease; a node that lost the saga to another
 * finds out at its next record and stops without touching anything.
 */
import type { CallingOptions, Service, ServiceSchema } from "moleculer";
import { config } from "../../../lib/config";
import type { Employee } from "../../../lib/employees/model";
import { ConflictError } from "../../../lib/errors";
import { EmployeeActions, type EmployeeSummary, IdentityActions, LeaveActions } from "../../../lib/names";
import { OnboardingSagaActions, type OnboardingSaga, type OnboardingStep, type SagaOffer } from "../../../lib/names/onboarding";
import { type Application, type Candidate, type JobOpening, type Offer, RecruitmentActions, type Stage } from "../../../lib/names/recruitment";
import { accountName, entitlementYear, goneReference, hireRequest } from "../../../lib/onboarding/hire";
import { type Origin, afterFailure, expectedStages, messageOf, retryDelay, stepsFrom, stepsToUndo } from "../../../lib/onboarding/saga";
import { IllegalTransitionError } from "../../../lib/recruitment/errors";

/** One saga being run by this node: its latest record, and how its calls are made (as whom, with which request id). */
export interface SagaRun {
	offerId: string;
	saga: OnboardingSaga;
	origin: Origin;
	opts: CallingOptions;
}

/** The user account as identity answers it (the fields onboarding relies on). */
export interface UserAccount {
	id: string;
	email: string;
	name: string;
	role: string;
	status: string;
	employeeId: string | null;
}

export interface Onboarded {
	offer: Offer;
	employee: Employee;
	user: UserAccount;
}

export interface SagaMethods {
	drive(run: SagaRun): Promise<Onboarded | null>;
	forward(run: SagaRun): Promise<void>;
	answer(run: SagaRun): Promise<Onboarded>;
	compensate(run: SagaRun, cause: string): Promise<boolean>;
	enter(run: SagaRun, step: OnboardingStep): Promise<void>;
	undo(run: SagaRun, step: Exclude<OnboardingStep, "commit">, offer: Offer): Promise<void>;
	crashPoint(step: "claim" | OnboardingStep, when: "before" | "after"): void;
}

type SagaThis = Service & SagaMethods;

/** Each call of a step gets its own time: the request's deadline must not cut a step (or an undo) in half. */
export const STEP_TIMEOUT_MS = 10_000;

/** The application's stage-history reasons. */
const ACCEPTED = "offer accepted";
const ROLLED_BACK = "onboarding rolled back";

/** How the logs name a step, and what undoing it removes. */
const STEP_LABELS: Record<OnboardingStep, string> = {
	hire: "hire the employee",
	invite: "invite the new hire",
	entitlements: "grant leave entitlements",
	stage: "move the application to hired",
	commit: "record the hire on the offer"
};
const UNDO_LABELS: Record<Exclude<OnboardingStep, "commit">, string> = {
	hire: "employee",
	invite: "user account",
	entitlements: "leave entitlements",
	stage: "application stage"
};

interface SetStageParams {
	id: string;
	stage: Stage;
	expect: Stage;
	reason: string;
}

/** The 409 a node gets when its saga was taken over, or ended, under it. */
export function isLeaseLost(err: unknown): boolean {
	const e = err as { code?: number; data?: { reason?: string } } | null;
	return e?.code === 409 && e.data?.reason === "leaseLost";
}

export const SagaPart: Partial<ServiceSchema> = {
	methods: {
		/**
		 * Runs the saga to its end from where its log stands: forward, or on with a compensation
		 * under way. Null when it ended compensated (or another node has it now).
		 */
		async drive(this: SagaThis, run: SagaRun): Promise<Onboarded | null> {
			if (run.saga.state === "compensating") {
				await this.compensate(run, run.saga.error ?? "resumed after its node stopped");
				return null;
			}
			try {
				await this.forward(run);
			} catch (err) {
				if (isLeaseLost(err)) throw err;
				const { requestID } = run.opts;
				if (afterFailure(run.origin, err, run.saga.attempts) === "retryLater") {
					const delay = retryDelay(run.saga.attempts, config().onboarding.sweepIntervalMs, config().onboarding.leaseMs);
					this.logger.warn(
						`Onboarding of offer ${run.offerId} failed at '${STEP_LABELS[run.saga.step]}' (${messageOf(err)}); retried in ${delay} ms`,
						{ requestID }
					);
					// Only the lease is shortened: the saga stays running, for the next takeover.
					const record = { id: run.offerId, sagaId: run.saga.sagaId, holder: run.saga.holder, error: messageOf(err), leaseMs: delay };
					await this.broker.call(OnboardingSagaActions.record, record, run.opts).catch(() => undefined);
					throw err;
				}
				this.logger.warn(`Onboarding of offer ${run.offerId} failed at '${STEP_LABELS[run.saga.step]}' (${messageOf(err)}); undoing what it did`, {
					requestID
				});
				await this.compensate(run, messageOf(err)).catch((undoErr: Error) => {
					if (!isLeaseLost(undoErr))
						this.logger.error(`Onboarding of offer ${run.offerId}: compensation interrupted (${undoErr.message}); the sweep resumes it`, {
							requestID
						});
				});
				throw err;
			}
			// Committed: what follows only answers the request, and nothing can undo the hire any more.
			return run.origin === "request" ? this.answer(run) : null;
		},

		/** Every step from the recorded one to the commit. */
		async forward(this: SagaThis, run: SagaRun): Promise<void> {
			const { saga } = run;
			const offer = await this.broker.call<Offer, object>(RecruitmentActions.getOffer, { id: run.offerId }, run.opts);
			const application = await this.broker.call<Application, object>(RecruitmentActions.getApplication, { id: offer.applicationId }, run.opts);
			if (!expectedStages(saga.step).includes(application.stage)) {
				throw new IllegalTransitionError(application.stage, "hired", `The application is in '${application.stage}', not 'offer'`, "stale");
			}
			const [candidate, opening] = await Promise.all([
				this.broker.call<Candidate, object>(RecruitmentActions.getCandidate, { id: application.candidateId }, run.opts),
				this.broker.call<JobOpening, object>(RecruitmentActions.getOpening, { id: application.openingId }, run.opts)
			]);
			const grant = { employeeId: saga.employeeId, year: entitlementYear(offer.startDate) };
			let employee: Pick<Employee, "managerId" | "departmentId"> | undefined;

			for (const step of stepsFrom(saga.step)) {
				await this.enter(run, step);
				switch (step) {
					case "hire":
						employee = await this.broker
							.call<Employee, object>(EmployeeActions.hireWithId, { id: saga.employeeId, ...hireRequest(offer, candidate, opening) }, run.opts)
							.catch(err => {
								// Gone since the opening or offer was made (a department deleted, a manager terminated): a conflict with their state.
								const gone = goneReference(err);
								throw gone ? new ConflictError(gone.message, { reason: "referenceGone", gone: gone.part }) : err;
							});
						break;
					// The user is made after the employee, so it is born linked (identity writes both sides
					// of the link). The person is sent an invitation and chooses their own password.
					case "invite":
						await this.broker.call<unknown, object>(
							IdentityActions.createUserWithId,
							{
								id: saga.userId,
								email: candidate.email,
								name: accountName(candidate),
								role: "employee",
								employeeId: saga.employeeId
							},
							run.opts
						);
						break;
					case "entitlements":
						await this.broker.call<unknown, object>(LeaveActions.grantEntitlements, grant, run.opts);
						break;
					case "stage": {
						// Moved already when a run died right after the move.
						const current = await this.broker.call<Application, object>(RecruitmentActions.getApplication, { id: application.id }, run.opts);
						if (current.stage !== "hired") {
							await this.broker.call<Application, SetStageParams>(
								RecruitmentActions.setStage,
								{ id: application.id, stage: "hired", expect: "offer", reason: ACCEPTED },
								run.opts
							);
						}
						break;
					}
					// The commit point: the ids go onto the offer and employee.hired into its outbox, in one write.
					case "commit":
						// The record as hired, whoever the saga acts as now (summaries sees the whole tenant).
						employee ??= (await this.broker.call<EmployeeSummary[], object>(EmployeeActions.summaries, { ids: [saga.employeeId] }, run.opts))[0];
						if (!employee) throw new IllegalTransitionError("hired", "accepted", "The new employee is gone", "stale");
						await this.broker.call<unknown, object>(
							OnboardingSagaActions.commit,
							{
								id: run.offerId,
								sagaId: saga.sagaId,
								holder: saga.holder,
								managerId: employee.managerId,
								departmentId: employee.departmentId
							},
							run.opts
						);
						break;
				}
				this.crashPoint(step, "after");
			}
		},

		/** The hire as stored, for the request that finished it. */
		async answer(this: SagaThis, run: SagaRun): Promise<Onboarded> {
			const { saga } = run;
			const [stored, hired, user] = await Promise.all([
				this.broker.call<Offer, object>(RecruitmentActions.getOffer, { id: run.offerId }, run.opts),
				this.broker.call<Employee, object>(EmployeeActions.get, { id: saga.employeeId }, run.opts),
				this.broker.call<UserAccount, object>(IdentityActions.getUser, { id: saga.userId }, run.opts)
			]);
			return { offer: stored, employee: hired, user };
		},

		/**
		 * Undoes every step up to the recorded one, newest first, then puts the offer back to sent.
		 * An undo that fails is logged and the others still run; the saga then stays compensating,
		 * its lease left to run out, and the sweep tries the whole compensation again (each undo
		 * is idempotent). Answers whether the offer is sent again.
		 */
		async compensate(this: SagaThis, run: SagaRun, cause: string): Promise<boolean> {
			const { requestID } = run.opts;
			const ids = { id: run.offerId, sagaId: run.saga.sagaId, holder: run.saga.holder };
			const { leaseMs, sweepIntervalMs } = config().onboarding;
			if (run.saga.state !== "compensating") {
				run.saga = (
					await this.broker.call<SagaOffer, object>(OnboardingSagaActions.record, { ...ids, state: "compensating", error: cause, leaseMs }, run.opts)
				).saga;
			}
			const offer = await this.broker.call<Offer, object>(RecruitmentActions.getOffer, { id: run.offerId }, run.opts);
			const failed: string[] = [];
			for (const step of stepsToUndo(run.saga.step)) {
				try {
					await this.undo(run, step, offer);
				} catch (err) {
					failed.push(step);
					this.logger.error(
						`Onboarding of offer ${run.offerId}: could not undo the ${UNDO_LABELS[step]} (${messageOf(err)}); the saga stays compensating and is retried`,
						{ requestID, offerId: run.offerId, step }
					);
				}
			}
			if (failed.length > 0) {
				const delay = retryDelay(run.saga.attempts + 1, sweepIntervalMs, leaseMs);
				await this.broker.call<unknown, object>(OnboardingSagaActions.record, { ...ids, state: "compensating", leaseMs: delay }, run.opts);
				return false;
			}
			await this.broker.call<unknown, object>(OnboardingSagaActions.rollBack, { ...ids, error: cause }, run.opts);
			this.logger.info(`Onboarding of offer ${run.offerId} rolled back; the offer is sent again`, { requestID });
			return true;
		},

		/** Records the step about to run (and renews the lease), then the test hook may kill the node. */
		async enter(this: SagaThis, run: SagaRun, step: OnboardingStep): Promise<void> {
			if (run.saga.step !== step) {
				const { leaseMs } = config().onboarding;
				run.saga = (
					await this.broker.call<SagaOffer, object>(
						OnboardingSagaActions.record,
						{
							id: run.offerId,
							sagaId: run.saga.sagaId,
							holder: run.saga.holder,
							step,
							leaseMs
						},
						run.opts
					)
				).saga;
			}
			this.crashPoint(step, "before");
		},

		/** One undo; each is a no-op when its step never happened. */
		async undo(this: SagaThis, run: SagaRun, step: Exclude<OnboardingStep, "commit">, offer: Offer): Promise<void> {
			const { saga } = run;
			switch (step) {
				case "stage": {
					const application = await this.broker.call<Application, object>(RecruitmentActions.getApplication, { id: offer.applicationId }, run.opts);
					if (application.stage === "hired") {
						await this.broker.call<Application, SetStageParams>(
							RecruitmentActions.setStage,
							{ id: application.id, stage: "offer", expect: "hired", reason: ROLLED_BACK },
							run.opts
						);
					}
					return;
				}
				case "entitlements":
					await this.broker.call<unknown, object>(
						LeaveActions.revokeEntitlements,
						{ employeeId: saga.employeeId, year: entitlementYear(offer.startDate) },
						run.opts
					);
					return;
				case "invite":
					await this.broker.call<unknown, object>(IdentityActions.undoCreateUser, { id: saga.userId }, run.opts);
					return;
				case "hire":
					await this.broker.call<unknown, object>(EmployeeActions.undoHire, { id: saga.employeeId }, run.opts);
			}
		},

		/** Tests only (TEST_ONBOARDING_CRASH_AT, refused unless NODE_ENV=test): the node dies here, abruptly. */
		crashPoint(step: "claim" | OnboardingStep, when: "before" | "after"): void {
			const at = config().onboarding.testCrashAt;
			if (!at || at.step !== step || at.when !== when) return;
			console.log(`[test hook] onboarding: killed ${when} the step '${step}'`);
			process.kill(process.pid, "SIGKILL");
		}
	}
};
