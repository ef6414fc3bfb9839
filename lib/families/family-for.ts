import { isConceptManifest, type ModelManifest } from '../model/manifest-types.js';
import type { ModelFamily } from './family.js';
import { Sam3ConceptFamily } from './sam3-concept.js';
import { TrackerClipFamily } from './tracker-clip.js';

/** The family module that runs a package of this manifest. */
export function familyFor(manifest: ModelManifest): ModelFamily {
  return isConceptManifest(manifest) ? new Sam3ConceptFamily(manifest) : new TrackerClipFamily(manifest);
}
