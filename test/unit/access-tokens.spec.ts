/**
 * Access tokens: the gateway remembers tokens it has verified (lib/auth/tokens.ts), and that
 * memory must never make it accept what a fresh verification would refuse.
 */
import { SignJWT } from "jose";
import { type AccessClaims, type TokenSettings, signAccessToken, verifyAccessToken } from "../../lib/auth/tokens";

const settings: TokenSettings = { secret: "unit-test-secret-0123456789-abcdefghijklmnop", issuer: "roster", audience: "roster-api", accessTtlSeconds: 900 };
const claims: AccessClaims = { userId: "u-1", tenantId: "t-1", roles: ["hr"], employeeId: null, sessionId: "s-1" };

/** The token with one character of its signature changed. */
function tampered(token: string): string {
	const last = token.at(-2) === "A" ? "B" : "A";
	return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

afterEach(() => jest.useRealTimers());

describe("verifyAccessToken", () => {
	it("answers the same claims for a token presented again", async () => {
		const token = await signAccessToken(claims, settings);
		const first = await verifyAccessToken(token, settings);
		expect(first).toEqual(claims);
		expect(await verifyAccessToken(token, settings)).toEqual(first);
	});

	it("refuses a token whose signature was changed, though the original was verified", async () => {
		const token = await signAccessToken(claims, settings);
		await verifyAccessToken(token, settings);
		expect(await verifyAccessToken(tampered(token), settings)).toBe("invalid");
	});

	it("answers expired for a verified token once its time is up", async () => {
		const token = await signAccessToken(claims, { ...settings, accessTtlSeconds: 60 });
		expect(await verifyAccessToken(token, settings)).toEqual(claims);
		jest.useFakeTimers({ now: Date.now() + 61_000, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
		expect(await verifyAccessToken(token, settings)).toBe("expired");
		// And stays expired: the memory let go of it, a fresh check says the same.
		expect(await verifyAccessToken(token, settings)).toBe("expired");
	});

	it("refuses a verified token under other settings: another secret or audience", async () => {
		const token = await signAccessToken(claims, settings);
		await verifyAccessToken(token, settings);
		expect(await verifyAccessToken(token, { ...settings, secret: "another-secret-0123456789-abcdefghijklmnopqr" })).toBe("invalid");
		expect(await verifyAccessToken(token, { ...settings, audience: "someone-else" })).toBe("invalid");
	});

	it("hands out claims no caller can change for the next request", async () => {
		const token = await signAccessToken(claims, settings);
		const first = (await verifyAccessToken(token, settings)) as AccessClaims;
		expect(() => first.roles.push("owner")).toThrow();
		expect(() => Object.assign(first, { tenantId: "t-2" })).toThrow();
		expect(await verifyAccessToken(token, settings)).toEqual(claims);
	});

	it("refuses a token without an expiry, signed with the right secret", async () => {
		const token = await new SignJWT({ tid: "t-1", roles: ["owner"], sid: "s-1" })
			.setProtectedHeader({ alg: "HS256" })
			.setSubject("u-1")
			.setIssuer(settings.issuer)
			.setAudience(settings.audience)
			.setIssuedAt()
			.sign(new TextEncoder().encode(settings.secret));
		expect(await verifyAccessToken(token, settings)).toBe("invalid");
	});
});
