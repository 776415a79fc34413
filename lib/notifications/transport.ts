/**
 * How notifications leave Roster besides the inbox: a mail transport and a text-message
 * transport, each an interface with its adapters beside it, picked from the configuration by
 * `deliveryTransports`. A send that fails throws: the delivery's channel retries it and, past
 * CHANNEL_MAX_RETRIES, moves it to the dead-letter queue (docs/operations.md).
 */
import type { MailConfig } from "../config";
import { FileMailTransport, FileSmsTransport } from "./file-transports";

/** Loaded only where SMTP is configured: requiring nodemailer adds some 40 ms to every start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const smtp = () => require("./smtp-transport") as typeof import("./smtp-transport");

/** One message to send; `id` is the delivery's own (its event id), the same on every retry. */
export interface OutgoingMail {
	id: string;
	to: string;
	subject: string;
	text: string;
}

export interface OutgoingSms {
	id: string;
	/** A phone number as the employee record holds it. */
	to: string;
	text: string;
}

export interface MailTransport {
	/** For logs: "smtp" or "file". */
	readonly kind: string;
	send(mail: OutgoingMail): Promise<void>;
	close(): Promise<void>;
}

export interface SmsTransport {
	readonly kind: string;
	send(sms: OutgoingSms): Promise<void>;
	close(): Promise<void>;
}

export interface DeliveryTransports {
	mail: MailTransport;
	sms: SmsTransport;
}

/** SMTP when SMTP_URL is set, the MAIL_DIR sink otherwise; text messages to the SMS_DIR sink (no SMS gateway yet). */
export function deliveryTransports(cfg: MailConfig): DeliveryTransports {
	return {
		mail: cfg.smtpUrl ? new (smtp().SmtpMailTransport)(cfg.smtpUrl, cfg.from, cfg.smtpTimeoutMs) : new FileMailTransport(cfg.dir),
		sms: new FileSmsTransport(cfg.smsDir)
	};
}
