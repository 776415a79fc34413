/**
 * What a client reads of an error (services/gateway/http-errors.ts): a failure on our side
 * tells its kind and nothing of the action, node or cause; the client's own mistakes keep
 * their message and the field they name.
 */
import { Errors } from "moleculer";
import {
	BusinessRuleError,
	CallerRateLimitedError,
	ConflictError,
	NodeNotReadyError,
	NotFoundError,
	ServiceBusyError,
	UnprocessableError
} from "../../lib/errors";
import { MAX_UNKNOWN_FIELDS_NAMED, formatError } from "../../services/gateway/http-errors";

const ACTION = "employees.get";
const NODE = "data-2-roster";

const format = (err: unknown) => formatError(err, { tokenPresented: false });

/** An error as it arrives from another node: a plain object with Moleculer's fields. */
function fromAnotherNode(err: Errors.MoleculerError): object {
	return { name: err.name, message: err.message, code: err.code, type: err.type, data: err.data };
}

/** Neither the action nor the node, anywhere in what the client is sent. */
function expectNothingInternal(answer: ReturnType<typeof formatError>): void {
	const sent = JSON.stringify(answer);
	expect(sent).not.toContain(ACTION);
	expect(sent).not.toContain(NODE);
}

describe("errors as the gateway answers them", () => {
	describe("failures on our side tell their kind only", () => {
		it.each([
			["a call that timed out", new Errors.RequestTimeoutError({ action: ACTION, nodeID: NODE })],
			["the same timeout arrived from another node", fromAnotherNode(new Errors.RequestTimeoutError({ action: ACTION, nodeID: NODE }))]
		])("%s: 504 with a generic message and no data", (_case, err) => {
			const answer = format(err);
			expect(answer.status).toBe(504);
			expect(answer.body).toEqual({
				name: "RequestTimeoutError",
				message: "No answer in time; the request may still have taken effect",
				code: 504,
				type: "REQUEST_TIMEOUT"
			});
			expectNothingInternal(answer);
		});

		it.each([
			["no node for the action", new Errors.ServiceNotAvailableError({ action: ACTION, nodeID: NODE })],
			["no such service", new Errors.ServiceNotFoundError({ action: ACTION, nodeID: NODE })],
			["a call rejected by its node", new Errors.RequestRejectedError({ action: ACTION, nodeID: NODE })],
			["a node whose storage is split from its peers'", new NodeNotReadyError(`identity keeps its data on ${NODE}, and ${ACTION} ...`)]
		])("%s: 503 that says only that no node can serve, with Retry-After", (_case, err) => {
			const answer = format(err);
			expect(answer).toEqual({
				status: 503,
				body: { name: "ServiceUnavailableError", message: "No node can serve this request right now", code: 503, type: "SERVICE_UNAVAILABLE" },
				headers: { "Retry-After": "5" }
			});
		});

		it.each([
			["too deep a call chain", new Errors.MaxCallLevelError({ nodeID: NODE, level: 101 })],
			["a call skipped past its deadline", new Errors.RequestSkippedError({ action: ACTION, nodeID: NODE })],
			["a bug", new Error(`Cannot read properties of undefined (reading 'tenantId') in ${ACTION}`)],
			["a 502 of a server error", new Errors.MoleculerServerError(`upstream ${NODE} closed`, 502, "BAD_GATEWAY", { nodeID: NODE })]
		])("%s: 500 Internal server error and nothing more", (_case, err) => {
			const answer = format(err);
			expect(answer).toEqual({
				status: 500,
				body: { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" },
				headers: {}
			});
		});
	});

	describe("a node shedding load says when to come back", () => {
		it("a busy node: 503 with its message and retryAfter, in the body and in Retry-After", () => {
			const answer = format(new ServiceBusyError(3));
			expect(answer).toEqual({
				status: 503,
				body: { name: "ServiceBusyError", message: "The server is busy, try again shortly", code: 503, type: "SERVICE_BUSY", data: { retryAfter: 3 } },
				headers: { "Retry-After": "3" }
			});
		});

		it("a bulkhead's full queue is a busy node too, not a 429 naming the action and node", () => {
			const answer = format(new Errors.QueueIsFullError({ action: ACTION, nodeID: NODE, size: 10, limit: 10 }));
			expect(answer.status).toBe(503);
			expect(answer.body).toMatchObject({ name: "ServiceBusyError", code: 503, type: "SERVICE_BUSY", data: { retryAfter: 1 } });
			expect(answer.headers).toEqual({ "Retry-After": "1" });
			expectNothingInternal(answer);
		});
	});

	describe("a limit between our own services (callerRateLimit)", () => {
		it.each([
			["refused at the gateway itself", new CallerRateLimitedError("api", ACTION, 0.25)],
			["refused to a service that answered the gateway from another node", fromAnotherNode(new CallerRateLimitedError("reports", ACTION, 2.2))]
		])("%s: 429 with Retry-After in whole seconds, without which service called which action", (_case, err) => {
			const answer = format(err);
			expect(answer.status).toBe(429);
			expect(answer.body).toMatchObject({ code: 429, type: "CALLER_RATE_LIMITED" });
			expect(answer.body.data).toEqual({ retryAfter: Number(answer.headers["Retry-After"]) });
			expect(Number(answer.headers["Retry-After"])).toBeGreaterThanOrEqual(1);
			expect(JSON.stringify(answer)).not.toMatch(/reports|"api"/);
			expectNothingInternal(answer);
		});

		it("is retryable, and names caller and action inside the cluster", () => {
			const err = new CallerRateLimitedError("reports", ACTION, 2.2);
			expect(err).toBeInstanceOf(Errors.MoleculerRetryableError);
			expect(err.retryable).toBe(true);
			expect(err.data).toEqual({ caller: "reports", action: ACTION, retryAfter: 2.2 });
			expect(format(err).headers).toEqual({ "Retry-After": "3" });
		});
	});

	describe("the client's own mistakes keep what helps to fix them", () => {
		it("parameter validation: each item names its field, without the node and action Moleculer adds", () => {
			const items = [{ type: "required", field: "email", message: "The 'email' field is required.", nodeID: NODE, action: ACTION }];
			const answer = format(new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", items));
			expect(answer.status).toBe(422);
			expect(answer.body.data).toEqual([{ type: "required", field: "email", message: "The 'email' field is required." }]);
			expectNothingInternal(answer);
		});

		it("unknown fields: each named up to a bound, the rest counted, so a body of many keys is not answered with megabytes", () => {
			const strict = (field: string | undefined, keys: string[]) =>
				format(
					new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
						{ type: "objectStrict", field, actual: keys.join(", "), expected: "name", message: "…", nodeID: NODE, action: ACTION }
					])
				).body.data as Array<{ type: string; field: string; message: string }>;
			expect(strict(undefined, ["x", "y"])).toEqual([
				{ type: "unknownField", field: "x", message: "The 'x' field is not allowed." },
				{ type: "unknownField", field: "y", message: "The 'y' field is not allowed." }
			]);
			// What a 100 kB JSON array of zeros becomes: its items are keys "0" to "50999".
			const many = strict(
				undefined,
				Array.from({ length: 51_000 }, (_, i) => String(i))
			);
			expect(many).toHaveLength(MAX_UNKNOWN_FIELDS_NAMED + 1);
			expect(many[MAX_UNKNOWN_FIELDS_NAMED - 1]).toEqual({ type: "unknownField", field: "19", message: "The '19' field is not allowed." });
			expect(many[MAX_UNKNOWN_FIELDS_NAMED]).toEqual({ type: "unknownFields", field: "", message: "50980 more fields of the request are not allowed." });
			expect(JSON.stringify(many).length).toBeLessThan(2_000);
			const nested = strict(
				"types",
				Array.from({ length: 25 }, (_, i) => `t${i}`)
			);
			expect(nested[0]).toEqual({ type: "unknownField", field: "types.t0", message: "The 'types.t0' field is not allowed." });
			expect(nested[MAX_UNKNOWN_FIELDS_NAMED]).toEqual({
				type: "unknownFields",
				field: "types",
				message: "5 more fields of the 'types' field are not allowed."
			});
		});

		it("domain errors keep their message and data", () => {
			expect(format(new BusinessRuleError("endDate", "The 'endDate' field must not be before the 'startDate'.", "dateOrder")).body).toEqual({
				name: "BusinessRuleError",
				message: "The request breaks a rule: The 'endDate' field must not be before the 'startDate'.",
				code: 422,
				type: "BUSINESS_RULE",
				data: [{ type: "dateOrder", field: "endDate", message: "The 'endDate' field must not be before the 'startDate'." }]
			});
			// A parameter the schema could not check stays a validation error, in the validator's words.
			expect(format(new UnprocessableError("hireDate", "The 'hireDate' field is not a real date.", "date")).body).toEqual({
				name: "ValidationError",
				message: "Parameters validation error!",
				code: 422,
				type: "VALIDATION_ERROR",
				data: [{ type: "date", field: "hireDate", message: "The 'hireDate' field is not a real date." }]
			});
			expect(format(new ConflictError("The email is taken", { field: "email" })).body).toMatchObject({
				code: 409,
				message: "The email is taken",
				data: { field: "email" }
			});
			expect(format(new NotFoundError("Employee", "e-1"))).toMatchObject({ status: 404, body: { message: "Employee not found", data: { id: "e-1" } } });
		});
	});
});
