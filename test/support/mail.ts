/** Reading the mail Roster sends, as a person would: from the sink folder (MAIL_DIR) the nodes write to. */
import { config } from "../../lib/config";
import { type MailKind, type SentMail, readMailbox } from "../../lib/mail/sink";

/** The newest message of `kind` to `to`, waiting for it a while (a reset link is sent after the answer). */
export async function mailTo(to: string, kind: MailKind, timeoutMs = 5000): Promise<SentMail> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const mails = (await readMailbox(config().mail.dir, to)).filter(m => m.kind === kind);
		if (mails.length > 0) return mails[mails.length - 1];
		if (Date.now() > deadline) throw new Error(`No ${kind} mail to ${to} within ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 25));
	}
}

/** Every message to `to`, oldest first. */
export function mailbox(to: string): Promise<SentMail[]> {
	return readMailbox(config().mail.dir, to);
}

/** The secret of the link in a message (the part after #token=). */
export function tokenOf(mail: SentMail): string {
	const token = /#token=([A-Za-z0-9_-]+)$/.exec(mail.link ?? "")?.[1];
	if (!token) throw new Error(`The ${mail.kind} mail to ${mail.to} holds no link`);
	return token;
}
