/** What the identity context answers: users, companies, token pairs, sign-ins. */
import { ROLES } from "../../roles";
import { arrayOf, closed, enumeration, int, nullableStr, str, timestamp } from "../schemas";

export const User = closed({
	id: str,
	tenantId: str,
	email: { type: "string", format: "email" },
	name: str,
	role: enumeration(ROLES),
	status: enumeration(["invited", "expired", "active", "disabled"]),
	employeeId: nullableStr,
	createdAt: timestamp,
	updatedAt: timestamp
});

export const Company = closed({ id: str, name: str, role: enumeration(ROLES), userId: str });

export const Tenant = closed({ id: str, name: str, createdAt: timestamp });

const tokenPair = { accessToken: str, refreshToken: str, tokenType: { const: "Bearer" }, expiresIn: int };

export const TokenPair = closed(tokenPair);

/** A sign-in: the tokens for one company and every company the person may switch to. */
export const SignedIn = closed({ ...tokenPair, tenantId: str, userId: str, companies: arrayOf(Company) });

export const Activated = closed({ ...tokenPair, tenantId: str, userId: str, companies: arrayOf(Company), user: User, tenant: Tenant });

export const Me = closed({ ...(User.properties as object), tenant: { anyOf: [Tenant, { type: "null" }] }, companies: arrayOf(Company) });

/** A request taken in, whose outcome goes by mail (signup, forgotten password). */
export const Pending = closed({ status: { const: "pending" }, message: str });
