/** Hand-written OpenAPI 3.1 description of the HTTP API, served at /api/openapi.json. */
const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const imageField = { type: 'string', format: 'binary', description: 'An image file (PNG, JPEG, WebP, …)' };

/** What both suggestion routes answer. */
const SUGGEST_RESPONSES = {
  '200': { description: 'Suggestions', content: { 'application/json': { schema: { $ref: '#/components/schemas/SuggestResponse' } } } },
  '400': error('Bad option, or the package cannot suggest (E_INVALID_OPTION: export it with --clip-image-tower)'),
  '404': error('Unknown imageId (E_UNKNOWN_IMAGE)'),
  '503': error('Models loading (Retry-After), failed to load, or timed out'),
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'sam3clip', version: '0.1.0', description: 'Text-prompted image segmentation.' },
  paths: {
    '/api/health': {
      get: {
        summary: 'Model load state',
        responses: { '200': { description: 'Load state', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } } },
      },
    },
    '/api/embed': {
      post: {
        summary: 'Encode an image once; segment it later by id',
        requestBody: {
          required: true,
          content: { 'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: imageField } } } },
        },
        responses: {
          '200': {
            description: 'Embedding id',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' } } },
              },
            },
          },
          '400': error('Bad request (E_MULTIPART_LIMIT: more than 256 fields) or empty image'),
          '413': error('Upload or image too large'),
          '415': error('Body is not multipart/form-data'),
          '422': error('Not a readable image'),
          '429': error('Queue full (Retry-After)'),
          '503': error('Models loading (Retry-After), failed to load, or timed out'),
        },
      },
    },
    '/api/suggest': {
      get: {
        summary: 'Prompt suggestions for an image sent to /api/embed: vocabulary names that fit it, best first',
        parameters: [
          { name: 'imageId', in: 'query', required: true, schema: { type: 'string' }, description: 'the id /api/embed returned' },
          { name: 'top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
          { name: 'verify', in: 'query', schema: { type: 'boolean' }, description: 'keep only names the segmenter finds (needed on sam3-concept)' },
          { name: 'vocabulary', in: 'query', schema: { type: 'string' }, description: 'a JSON list of names, or one name a line (default COCO 80)' },
        ],
        responses: SUGGEST_RESPONSES,
      },
      post: {
        summary: 'Prompt suggestions for an uploaded image (or an imageId)',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  image: imageField,
                  imageId: { type: 'string' },
                  top: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
                  verify: { type: 'boolean' },
                  vocabulary: { type: 'string', description: 'a JSON list of names, or one name a line (default COCO 80)' },
                },
              },
            },
          },
        },
        responses: {
          ...SUGGEST_RESPONSES,
          '413': error('Upload or image too large'),
          '422': error('Not a readable image'),
        },
      },
    },
    '/api/segment': {
      post: {
        summary: 'Segment the objects named by text prompts, or the one marked by clicks (points, box)',
        description:
          'Give text prompts, or points and/or a box (one interactive prompt), or one text prompt with them (segmented together; ' +
          'on sam3-concept a box beside text is the instance to refine, see box). GET /api/health says which the loaded package answers (prompts).',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  image: imageField,
                  imageId: { type: 'string', description: 'An id from /api/embed, instead of image' },
                  prompt: {
                    type: 'array',
                    items: { type: 'string' },
                    description: 'Repeatable; comma or newline separated. "X but not Y" adds Y as a negative prompt.',
                  },
                  negative: { type: 'array', items: { type: 'string' }, description: 'Repeatable; comma or newline separated.' },
                  threshold: { type: 'number', minimum: 0.1, maximum: 0.9, default: 0.5 },
                  smoothness: { type: 'integer', minimum: 1, maximum: 5, default: 3 },
                  maxInstances: { type: 'integer', minimum: 1, maximum: 10000, default: 100, description: 'sam3-concept: most instances per prompt' },
                  png: { type: 'string', enum: ['0', '1'], description: '1 adds base64 PNG masks' },
                  points: {
                    type: 'string',
                    contentMediaType: 'application/json',
                    description: 'JSON [[x, y], …] in original-image pixels (at most 64), inside the image',
                    examples: ['[[120, 80], [40, 30]]'],
                  },
                  labels: {
                    type: 'string',
                    contentMediaType: 'application/json',
                    description: "JSON [1, 0, …], one per point: 1 on the object (the default), 0 not it; at least one 1 unless there is a box",
                    examples: ['[1, 0]'],
                  },
                  box: {
                    type: 'string',
                    contentMediaType: 'application/json',
                    description:
                      'JSON [x0, y0, x1, y1] in original-image pixels, inside the image. To refine an instance of a sam3-concept ' +
                      "text result, send its box with the clicked points (no text); on the other families send the text with the points",
                    examples: ['[10, 20, 200, 160]'],
                  },
                  allCandidates: {
                    type: 'string',
                    enum: ['0', '1', 'true', 'false'],
                    description: "1 adds every candidate's mask (candidates[i].rle) to clicked results, not only the selected one's",
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'One result per prompt', content: { 'application/json': { schema: { $ref: '#/components/schemas/SegmentResponse' } } } },
          '400': error(
            'Bad option, prompt (E_INVALID_PROMPT: also malformed points/labels/box JSON, clicks outside the image, several text prompts with clicks, ' +
              'a prompt kind the package has no path for), multipart body (E_MULTIPART_LIMIT: more than 256 fields) or empty image',
          ),
          '404': error('Unknown imageId (E_UNKNOWN_IMAGE)'),
          '413': error('Upload or image too large, or prompts × pixels past the mask budget (E_REQUEST_TOO_LARGE)'),
          '415': error('Body is not multipart/form-data'),
          '422': error('Not a readable image'),
          '429': error('Queue full (Retry-After)'),
          '503': error('Models loading (Retry-After), failed to load, or timed out'),
        },
      },
    },
    '/api/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document' } } } },
  },
  components: {
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      Health: {
        type: 'object',
        required: ['status', 'progress', 'backend'],
        properties: {
          status: { enum: ['loading', 'ready', 'error'] },
          progress: {
            type: 'object',
            properties: { stage: { type: 'string' }, loaded: { type: 'integer' }, total: { type: 'integer' } },
          },
          backend: { type: ['string', 'null'], enum: ['cpu', 'openvino', 'tensorrt', null] },
          family: { enum: ['sam3', 'sam2', 'sam', 'fixture', 'sam3-concept'], description: 'once ready: the model family' },
          prompts: {
            type: 'array',
            items: { enum: ['text', 'points', 'box'] },
            description: 'once ready: the prompt kinds the package answers (points and box come together)',
          },
          suggest: { type: 'boolean', description: 'whether /api/suggest ranks names by CLIP (the package has image_tower)' },
          error: { $ref: '#/components/schemas/Error/properties/error' },
        },
      },
      SuggestResponse: {
        type: 'object',
        required: ['suggestions'],
        properties: {
          suggestions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['text', 'score'],
              properties: {
                text: { type: 'string' },
                score: { type: 'number', description: "CLIP's cosine of image and text; on sam3-concept the best instance's score" },
                instances: { type: 'integer', description: 'with verify: instances found' },
              },
            },
          },
        },
      },
      Rle: {
        type: 'object',
        description: 'COCO run-length encoding, column-major, starting with a run of zeros',
        properties: { size: { type: 'array', items: { type: 'integer' }, description: '[height, width]' }, counts: { type: 'array', items: { type: 'integer' } } },
      },
      SegmentResponse: {
        type: 'object',
        properties: {
          imageId: { type: 'string' },
          width: { type: 'integer' },
          height: { type: 'integer' },
          timings: { type: 'object', additionalProperties: true },
          results: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                prompt: { type: 'string', description: 'the text, else what was clicked ("2 points + box")' },
                points: { type: 'array', items: { type: 'array', items: { type: 'number' } }, description: 'the points sent' },
                labels: { type: 'array', items: { enum: [0, 1] }, description: "the points' labels (a box exemplar's label on sam3-concept)" },
                box: { type: 'array', items: { type: 'number' }, description: 'the box sent' },
                score: { type: 'number', description: 'the best instance\'s score (the best candidate\'s when none passed)' },
                passedThreshold: { type: 'boolean', description: 'whether any instance passed the threshold' },
                presence: { type: 'number', description: 'sam3-concept: σ of the presence logit' },
                candidateIndex: { type: 'integer', description: 'tracker families and clicks: the selected candidate (the highest predicted IoU for clicks)' },
                candidates: {
                  type: 'array',
                  items: { type: 'object', properties: { iou: { type: 'number' }, rle: { $ref: '#/components/schemas/Rle', description: 'with allCandidates' } } },
                  description: "tracker families, and clicks on every family: each candidate's predicted IoU",
                },
                bbox: { type: 'array', items: { type: 'integer' }, description: '[x, y, width, height] of the union mask' },
                area: { type: 'integer' },
                rle: { $ref: '#/components/schemas/Rle', description: 'the union of the instances' },
                png: { type: 'string', contentEncoding: 'base64', contentMediaType: 'image/png' },
                instances: {
                  type: 'array',
                  description: 'every kept instance, best first (tracker families: the selected mask when it passed)',
                  items: {
                    type: 'object',
                    required: ['score', 'box', 'bbox', 'area', 'rle'],
                    properties: {
                      score: { type: 'number', description: 'σ(logit)·σ(presence) on sam3-concept; predicted IoU on the tracker families' },
                      box: { type: 'array', items: { type: 'number' }, description: "[x0, y0, x1, y1]: the model's box clipped to the image, else the mask's bounds" },
                      bbox: { type: 'array', items: { type: 'integer' }, description: '[x, y, width, height] of the mask' },
                      area: { type: 'integer' },
                      rle: { $ref: '#/components/schemas/Rle' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
