/**
 * Every supertest request of the HTTP suites is checked against the API's contract
 * (contract.ts): a violation fails the request, so the test that made it fails with the route,
 * the status and the schema's path. Set ROSTER_CONTRACT=off to look at a failure without it.
 */
import { Test } from "supertest";
import { contractViolation } from "./contract";

/** What supertest hands its assertions: the parts of a response the contract is checked on. */
interface TestResponse {
	status: number;
	headers?: Record<string, string>;
	body: unknown;
	text?: unknown;
}

type Assert = (this: Test, resError: unknown, res: TestResponse | undefined, fn?: (err: unknown, res: unknown) => void) => void;

const originalAssert = (Test.prototype as unknown as { assert: Assert }).assert;

if (process.env.ROSTER_CONTRACT !== "off") {
	(Test.prototype as unknown as { assert: Assert }).assert = function assertWithContract(resError, res, fn) {
		if (!res || !fn) return originalAssert.call(this, resError, res, fn);
		const request = this as unknown as { method: string; url: string };
		contractViolation({
			method: request.method,
			url: request.url,
			status: res.status,
			contentType: String(res.headers?.["content-type"] ?? ""),
			body: res.body,
			text: typeof res.text === "string" ? res.text : ""
		}).then(
			violation => {
				if (!violation) return originalAssert.call(this, resError, res, fn);
				fn.call(this, new Error(`Contract: ${violation}`), res);
			},
			err => fn.call(this, err, res)
		);
	};
}
