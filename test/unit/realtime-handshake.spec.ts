/** What a WebSocket connect request says: the token, whichever way a client could pass it, and `after`. */
import type { IncomingMessage } from "node:http";
import { readHandshake } from "../../lib/realtime/handshake";

function req(url: string, headers: Record<string, string> = {}): IncomingMessage {
	return { url, headers } as unknown as IncomingMessage;
}

describe("readHandshake", () => {
	it("takes the token from a Bearer header, a bearer.<token> subprotocol or access_token, in that order", () => {
		expect(readHandshake(req("/realtime", { authorization: "Bearer h.h.h" }))?.token).toBe("h.h.h");
		expect(readHandshake(req("/realtime", { "sec-websocket-protocol": "roster.v1, bearer.p.p.p" }))?.token).toBe("p.p.p");
		expect(readHandshake(req("/realtime?access_token=q.q.q"))?.token).toBe("q.q.q");
		expect(readHandshake(req("/realtime?access_token=q", { authorization: "Bearer h", "sec-websocket-protocol": "bearer.p" }))?.token).toBe("h");
		expect(readHandshake(req("/realtime?access_token=q", { "sec-websocket-protocol": "bearer.p" }))?.token).toBe("p");
	});

	it("tells no token from a malformed one: undefined without any, empty for a header that is not Bearer", () => {
		expect(readHandshake(req("/realtime"))?.token).toBeUndefined();
		expect(readHandshake(req("/realtime", { "sec-websocket-protocol": "roster.v1" }))?.token).toBeUndefined();
		expect(readHandshake(req("/realtime", { authorization: "Basic dXNlcjpwYXNz" }))?.token).toBe("");
	});

	it("reads `after` and the path, and takes an empty `after` as none", () => {
		expect(readHandshake(req("/realtime?after=abc-123"))).toMatchObject({ after: "abc-123", path: "/realtime" });
		expect(readHandshake(req("/realtime?after="))?.after).toBeUndefined();
		expect(readHandshake(req("/elsewhere"))?.path).toBe("/elsewhere");
	});

	it("answers null for a request target that is no URL (URL would throw)", () => {
		expect(readHandshake(req("http://["))).toBeNull();
		expect(readHandshake(req("http://x:99999/"))).toBeNull();
	});
});
