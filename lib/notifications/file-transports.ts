/**
 * The default transports: files a developer (or a test) reads. Mail goes to the mail sink
 * (lib/mail/sink.ts, kind "notification"); a text message to a folder per phone number. Each
 * file is named after its delivery, so a delivery retried after a crash is still one file.
 */
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeMail } from "../mail/sink";
import type { MailTransport, OutgoingMail, OutgoingSms, SmsTransport } from "./transport";

export class FileMailTransport implements MailTransport {
	readonly kind = "file";

	constructor(private readonly dir: string) {}

	async send(mail: OutgoingMail): Promise<void> {
		await writeMail(this.dir, { to: mail.to, kind: "notification", subject: mail.subject, text: mail.text }, mail.id);
	}

	async close(): Promise<void> {}
}

export interface SentSms {
	to: string;
	text: string;
	sentAt: string;
}

/** A phone number's folder: its digits, with the leading + kept ("+44 20 7946 0000" → "+442079460000"). */
function folderOf(dir: string, to: string): string {
	const digits = to.replace(/[^0-9]/g, "");
	return path.join(dir, `${to.trim().startsWith("+") ? "+" : ""}${digits || "_"}`);
}

export class FileSmsTransport implements SmsTransport {
	readonly kind = "file";

	constructor(private readonly dir: string) {}

	async send(sms: OutgoingSms): Promise<void> {
		const folder = folderOf(this.dir, sms.to);
		await mkdir(folder, { recursive: true });
		const name = `${sms.id.replace(/[^A-Za-z0-9-]/g, "_")}.json`;
		const partial = path.join(folder, `.${name}.tmp`);
		const sent: SentSms = { to: sms.to, text: sms.text, sentAt: new Date().toISOString() };
		// Whole or not at all, as the mail sink.
		await writeFile(partial, JSON.stringify(sent, null, 2), { mode: 0o600 });
		await rename(partial, path.join(folder, name));
	}

	async close(): Promise<void> {}
}

/** Every text message to `to` in the sink, oldest first. */
export async function readSmsBox(dir: string, to: string): Promise<SentSms[]> {
	const folder = folderOf(dir, to);
	const names = (await readdir(folder).catch(() => [] as string[])).filter(n => n.endsWith(".json"));
	const messages = await Promise.all(names.map(async n => JSON.parse(await readFile(path.join(folder, n), "utf8")) as SentSms));
	return messages.sort((a, b) => a.sentAt.localeCompare(b.sentAt));
}
