/**
 * Mail to people, written as files: one JSON document per message, in a folder per recipient
 * under the configured directory, where a developer (or a test) reads it. It stands in for a
 * delivery outbox with a real transport; the message itself is what that outbox will send.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export type MailKind = "signup" | "invitation" | "passwordReset" | "signupExisting" | "notification";

export interface Mail {
	to: string;
	kind: MailKind;
	subject: string;
	text: string;
	/** The link the message is about, when it has one. */
	link?: string;
	/** The same link as a short link (GET /s/:code redirects to `link`): what the text shows, when shortening worked. */
	shortLink?: string;
}

export interface SentMail extends Mail {
	sentAt: string;
}

/** A recipient's folder: the address, lower-cased, any character a file system may mind as "_". */
function folderOf(dir: string, to: string): string {
	return path.join(
		dir,
		to
			.toLowerCase()
			.replace(/[^a-z0-9._@+-]/g, "_")
			.replace(/^\.+/, "_")
	);
}

/**
 * Writes the message whole or not at all: a reader never sees half a file. With `id`, the file
 * is named after it: writing the same message again replaces it (a retried delivery is one mail).
 */
export async function writeMail(dir: string, mail: Mail, id?: string): Promise<SentMail> {
	const sent: SentMail = { ...mail, sentAt: new Date().toISOString() };
	const folder = folderOf(dir, mail.to);
	await mkdir(folder, { recursive: true });
	const name = id ? `${id.replace(/[^A-Za-z0-9-]/g, "_")}.json` : `${sent.sentAt.replace(/[:.]/g, "-")}-${randomUUID()}.json`;
	const partial = path.join(folder, `.${name}.tmp`);
	await writeFile(partial, JSON.stringify(sent, null, 2), { mode: 0o600 });
	await rename(partial, path.join(folder, name));
	return sent;
}

/** Every message to `to`, oldest first. */
export async function readMailbox(dir: string, to: string): Promise<SentMail[]> {
	const folder = folderOf(dir, to);
	const names = await readdir(folder).catch(() => [] as string[]);
	const files = names.filter(n => n.endsWith(".json"));
	const read = await Promise.all(files.map(async n => JSON.parse(await readFile(path.join(folder, n), "utf8")) as SentMail));
	// By when they were written: a file named after its message id does not sort by time.
	const mails = read.sort((a, b) => a.sentAt.localeCompare(b.sentAt));
	// Two odd addresses may share a folder; each reads only its own.
	return mails.filter(m => m.to.toLowerCase() === to.toLowerCase());
}
