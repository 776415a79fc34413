/**
 * The schemas the document names under components.schemas: the error body every error answer
 * refers to, and those that refer to themselves (a tree), which cannot be written inline.
 */
import type { JsonSchema } from "./fastest-validator";
import { DepartmentTreeNode } from "./contexts/org";
import { ErrorBody } from "./schemas";

export const COMPONENT_SCHEMAS: Record<string, JsonSchema> = { Error: ErrorBody, DepartmentTreeNode };
