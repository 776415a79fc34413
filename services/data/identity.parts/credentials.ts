/** The password rules identity applies wherever a person chooses one. */
import { passwordWeakness } from "../../../lib/auth/passwords";
import { UnprocessableError } from "../../../lib/errors";

export const password = { type: "string", min: 1, max: 1024 } as const;

/** 422 naming the field and the reason when the password is too weak for this person. */
export function checkPassword(value: string, email: string, name?: string, field = "password"): void {
	const weakness = passwordWeakness(value, email, name);
	if (weakness) throw new UnprocessableError(field, `The '${field}' ${weakness}.`, "passwordStrength");
}
