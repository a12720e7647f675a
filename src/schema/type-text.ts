/** How the schema compiler writes types and annotations back as text (messages, catalog metadata). */
import type { AnnotationNode } from './ast.js';
import type { Annotation, PropertyDef, PropType } from './types.js';

export function typeText(t: PropType): string {
  switch (t.kind) {
    case 'scalar':
      return t.name;
    case 'vector':
      return `Vector(${t.dim})`;
    case 'enum':
      return `enum(${t.values.join(', ')})`;
    case 'list':
      return `[${typeText(t.element)}]`;
  }
}

/** A property's type as written: `String?`, `[I32]`, … */
export function describe(p: PropertyDef): string {
  return `${typeText(p.type)}${p.nullable ? '?' : ''}`;
}

export function sameProperty(a: PropertyDef, b: PropertyDef): boolean {
  return describe(a) === describe(b);
}

/** A custom annotation as catalog metadata: its name and its arguments as text. */
export function toAnnotation(ann: AnnotationNode): Annotation {
  return {
    name: ann.name,
    args: ann.args.map((a) => {
      switch (a.kind) {
        case 'range':
          return `${a.min ?? ''}..${a.maxStar ? '*' : (a.max ?? '')}`;
        case 'number':
          return a.value;
        default:
          return a.value;
      }
    }),
  };
}
