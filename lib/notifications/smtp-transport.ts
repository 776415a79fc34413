/**
 * Mail by SMTP (nodemailer), one transport per node, opened at start and closed at stop. Every
 * step has a deadline (SMTP_TIMEOUT): a server that does not answer fails the send, and the
 * channel retries it, rather than holding the delivery until the ack wait runs out. A 4xx or
 * 5xx answer fails it too (nodemailer rejects with the server's response).
 *
 * The Message-ID is derived from the delivery's id: a delivery sent again after a crash
 * between the send and its record carries the same Message-ID, which mail systems use to
 * recognise the duplicate.
 */
import { type Transporter, createTransport } from "nodemailer";
import type { MailTransport, OutgoingMail } from "./transport";

export class SmtpMailTransport implements MailTransport {
	readonly kind = "smtp";
	private readonly transporter: Transporter;
	private readonly domain: string;

	constructor(
		url: string,
		private readonly from: string,
		timeoutMs: number
	) {
		this.transporter = createTransport({
			url,
			connectionTimeout: timeoutMs,
			greetingTimeout: timeoutMs,
			socketTimeout: timeoutMs,
			dnsTimeout: timeoutMs
		});
		this.domain = /@([^>\s]+)>?$/.exec(from)?.[1] ?? "roster.invalid";
	}

	async send(mail: OutgoingMail): Promise<void> {
		await this.transporter.sendMail({
			from: this.from,
			to: mail.to,
			subject: mail.subject,
			text: mail.text,
			messageId: `<${mail.id}@${this.domain}>`
		});
	}

	async close(): Promise<void> {
		this.transporter.close();
	}
}
