/**
 * What the REPL asks of identity on an operator's behalf (scripts/repl/): every company, and a
 * session for a user without their password, so a developer can try the API as that user.
 * Neither is published: no route leads here, only a node on the bus.
 */
import type { ServiceSchema } from "moleculer";
import { config } from "../../../lib/config";
import { ConflictError, ForbiddenError, NotFoundError } from "../../../lib/errors";
import type { RosterContext } from "../../../lib/meta";
import type { SignedInWithoutPassword, TenantSummary } from "../../../lib/names";
import { email, id } from "../../../lib/params";
import { ACCOUNTS, type AccountDoc, type IdentityThis, TENANTS, type TenantDoc, normalEmail } from "./shared";

interface SignInWithoutPasswordParams {
	email: string;
	tenantId?: string;
}

export const OperatorPart: Partial<ServiceSchema> = {
	actions: {
		/** Every company, oldest first. */
		tenantList: {
			visibility: "public",
			readOnly: true,
			params: {},
			async handler(this: IdentityThis): Promise<TenantSummary[]> {
				const tenants: TenantDoc[] = await this.store(TENANTS).find({ query: {}, sort: ["createdAt"] });
				return tenants.map(t => ({ id: t._id, name: t.name, createdAt: t.createdAt }));
			}
		},

		/**
		 * A new session of the user `email` is in `tenantId` (or in their only company), as a login
		 * would make it. Never on a production node: whoever holds the bus must still not mint
		 * sessions there without a password.
		 */
		signInWithoutPassword: {
			visibility: "public",
			params: { $$strict: true, email, tenantId: { ...id, optional: true } },
			async handler(this: IdentityThis, ctx: RosterContext<SignInWithoutPasswordParams>): Promise<SignedInWithoutPassword> {
				if (config().env === "production") throw new ForbiddenError("Signing in without a password is refused on a production node");
				const account: AccountDoc | null = await this.store(ACCOUNTS).findOne({ email: normalEmail(ctx.params.email) });
				if (!account) throw new NotFoundError("Account", ctx.params.email);
				const companies = await this.companiesOf(account._id);
				const { tenantId } = ctx.params;
				const chosen = tenantId ? companies.filter(c => c.id === tenantId) : companies;
				if (chosen.length === 0) throw new NotFoundError(tenantId ? "Active membership in that company" : "Active membership", tenantId);
				if (chosen.length > 1) {
					throw new ConflictError(`${ctx.params.email} is in ${chosen.length} companies: name one`, {
						companies: chosen.map(c => ({ id: c.id, name: c.name, role: c.role }))
					});
				}
				return { ...(await this.signIn(ctx, account, await this.adapter.findById(chosen[0].userId))), tenantName: chosen[0].name };
			}
		}
	}
};
