/**
 * Password hashing (argon2id), and the minimum strength a new password must have
 * (lib/auth/password-strength.ts).
 *
 * Every hash and verification runs in one bounded queue per process: argon2 takes all the
 * cores for a good fraction of a second, so a burst of logins must wait its turn (or be turned
 * away with 503 and Retry-After) rather than starve every other request and libuv's thread pool.
 */
import { performance } from "node:perf_hooks";
import argon2 from "argon2";
import { ARGON2_PARALLELISM, type PasswordHashingConfig, config } from "../config";
import { ServiceBusyError } from "../errors";
import { BoundedSemaphore } from "../semaphore";

// The strength rule has a file of its own; identity and onboarding import it from here.
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordWeakness } from "./password-strength";

const HASH_OPTIONS = { type: argon2.argon2id, parallelism: ARGON2_PARALLELISM } as const;

/** Verified against when the account does not exist, so a miss costs as long as a hit. */
let decoyHash: Promise<string> | undefined;

let queue: BoundedSemaphore | undefined;
/** How long one hash or verification takes here, smoothed: the basis of Retry-After. */
let averageMs = 500;

/** The queue every hash and verification of this process waits in. */
export function passwordHashingQueue(): BoundedSemaphore {
	queue ??= new BoundedSemaphore(config().passwordHashing.concurrency, config().passwordHashing.maxQueue);
	return queue;
}

/** Resizes the queue (tests); work already queued finishes in the old one. */
export function configurePasswordHashing(limits: PasswordHashingConfig): void {
	queue = new BoundedSemaphore(limits.concurrency, limits.maxQueue);
}

/** How long a task queued now would wait for its slot, going by the recent pace. */
function expectedWaitMs(q: BoundedSemaphore): number {
	return q.running < q.concurrency ? 0 : (averageMs * (q.queued + 1)) / q.concurrency;
}

/** Seconds until the queue ahead has drained, were a client to come back then. */
function retryAfter(q: BoundedSemaphore): number {
	return Math.max(1, Math.ceil((averageMs * (q.queued + q.running)) / q.concurrency / 1000));
}

/**
 * Runs argon2 work in the queue. `deadline` (performance.now() time) is when the caller stops
 * waiting: work that would still be queued then is refused now (a 503 rather than a timeout),
 * and work still queued when it passes is dropped, never done for nobody.
 */
function hashingSlot<T>(work: () => Promise<T>, deadline?: number): Promise<T> {
	const q = passwordHashingQueue();
	if (deadline !== undefined && performance.now() + expectedWaitMs(q) >= deadline) {
		return Promise.reject(new ServiceBusyError(retryAfter(q)));
	}
	const timed = async () => {
		const started = performance.now();
		try {
			return await work();
		} finally {
			averageMs += (performance.now() - started - averageMs) / 8;
		}
	};
	return q.run(timed, () => new ServiceBusyError(retryAfter(q)), deadline);
}

export function hashPassword(password: string, deadline?: number): Promise<string> {
	return hashingSlot(() => argon2.hash(password, HASH_OPTIONS), deadline);
}

export function verifyPassword(hash: string | undefined, password: string, deadline?: number): Promise<boolean> {
	return hashingSlot(async () => {
		if (hash) return argon2.verify(hash, password).catch(() => false);
		// Made inside the slot it is verified in: a slot taken for it alone could be refused, and
		// a refusal kept here would refuse every unknown email from then on.
		decoyHash ??= argon2.hash("decoy-password-for-timing", HASH_OPTIONS).catch(err => {
			decoyHash = undefined;
			throw err;
		});
		await argon2.verify(await decoyHash, password).catch(() => false);
		return false;
	}, deadline);
}
