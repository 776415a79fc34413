/**
 * Finding a request's alias without trying every one. moleculer-web tries each alias's regular
 * expression in turn, in the order of its list, and takes the first that matches: of the 123
 * aliases, longest paths first, a read of `/api/v1/employees/:id` ran 51, now 2. Here
 * the aliases are grouped by their first path segments when those are plain words (as
 * `/api/v1/employees/:id` starts with `api/v1/employees`) and by how many segments they take
 * (4 there), so a request tries only the aliases that could take its path: those of its group
 * and length, and those that start with a parameter or take any length. It tries them in
 * moleculer-web's order and by each alias's own expression, so the same alias wins.
 */
import type { MatchableAlias } from "./allowed-methods";

/** What the index needs of moleculer-web's Alias (src/alias.js). */
export interface RoutedAlias extends MatchableAlias {
	fullPath: string;
	route: { opts?: { pathToRegexpOptions?: object } };
	isMethod(method: string): boolean;
}

export interface ResolvedAlias<A extends RoutedAlias> {
	alias: A;
	params: Record<string, unknown>;
}

/** Segments that group aliases: `api`, `v1` and the resource. */
const GROUP_DEPTH = 3;
/** A segment path-to-regexp reads as itself: no parameter, group, modifier or escape. */
const PLAIN_SEGMENT = /^[A-Za-z0-9_.~-]+$/;
/** A parameter that takes exactly one non-empty segment (`:id`, without `?`, `*`, `+` or a pattern). */
const ONE_SEGMENT_PARAM = /^:[A-Za-z0-9_]+$/;

interface Shape {
	/** Its first segments in lower case, when they are plain: path-to-regexp ignores case unless told. */
	group?: string;
	/** How many segments it takes, when that is fixed. */
	length?: number;
}

function shapeOf(alias: RoutedAlias): Shape {
	// A route's own path-to-regexp options (a prefix match, say) are the library's to read.
	if (alias.route.opts?.pathToRegexpOptions) return {};
	const segments = alias.fullPath.split("/").slice(1);
	const lead = segments.slice(0, GROUP_DEPTH);
	const grouped = lead.length === GROUP_DEPTH && lead.every(segment => PLAIN_SEGMENT.test(segment));
	const fixed = segments.every(segment => PLAIN_SEGMENT.test(segment) || ONE_SEGMENT_PARAM.test(segment));
	return { group: grouped ? lead.join("/").toLowerCase() : undefined, length: fixed ? segments.length : undefined };
}

/** A request path's group, as it came, and length (moleculer-web took one trailing slash off; the expressions allow another). */
function shapeOfUrl(url: string): { group: string; length: number } {
	const path = url.length > 1 && url.endsWith("/") ? url.slice(0, -1) : url;
	let length = 0;
	let groupEnd = path.length;
	for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
		if (++length === GROUP_DEPTH + 1) groupEnd = i;
	}
	return { group: path.slice(1, groupEnd), length };
}

/** Aliases that could take a path of some group, by the path's length; `beyond`: longer than any fixed length. */
interface Candidates<A> {
	byLength: A[][];
	beyond: A[];
}

function candidates<A>(aliases: readonly A[], shapes: readonly Shape[], inGroup: (shape: Shape) => boolean, longest: number): Candidates<A> {
	const fits = (shape: Shape, length?: number) => inGroup(shape) && (shape.length === undefined || shape.length === length);
	const byLength = Array.from({ length: longest + 1 }, (_, length) => aliases.filter((_, i) => fits(shapes[i], length)));
	return { byLength, beyond: aliases.filter((_, i) => fits(shapes[i])) };
}

interface Index<A> {
	/** The list it was built from, and its length then (see `resolve`). */
	aliases: readonly A[];
	length: number;
	groups: Map<string, Candidates<A>>;
	ungrouped: Candidates<A>;
}

function build<A extends RoutedAlias>(aliases: readonly A[]): Index<A> {
	const shapes = aliases.map(shapeOf);
	const longest = Math.max(0, ...shapes.map(shape => shape.length ?? 0));
	const groups = new Map<string, Candidates<A>>();
	for (const group of new Set(shapes.map(shape => shape.group))) {
		if (group === undefined) continue;
		groups.set(
			group,
			candidates(aliases, shapes, shape => shape.group === group || shape.group === undefined, longest)
		);
	}
	return { aliases, length: aliases.length, groups, ungrouped: candidates(aliases, shapes, shape => shape.group === undefined, longest) };
}

export class AliasIndex<A extends RoutedAlias> {
	private index?: Index<A>;

	/**
	 * What moleculer-web's `resolveAlias(url, method)` answers. moleculer-web replaces its list
	 * whenever it removes aliases, and otherwise only appends to it and sorts it in the same
	 * synchronous step: a list of another identity or length is indexed anew before use.
	 */
	resolve(aliases: readonly A[], url: string, method: string): ResolvedAlias<A> | false {
		if (this.index?.aliases !== aliases || this.index.length !== aliases.length) this.index = build(aliases);
		const { group, length } = shapeOfUrl(url);
		// Groups are kept in lower case; most paths come in it, and lowering one costs more than a lookup.
		const fitting = this.index.groups.get(group) ?? this.index.groups.get(group.toLowerCase()) ?? this.index.ungrouped;
		for (const alias of fitting.byLength[length] ?? fitting.beyond) {
			if (!alias.isMethod(method)) continue;
			const params = alias.match(url);
			if (params) return { alias, params };
		}
		return false;
	}
}
