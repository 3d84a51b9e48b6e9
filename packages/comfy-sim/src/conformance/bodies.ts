// HTTP 400 bodies copied from comfy-real-transcripts.md §5.3, §5.7 and run (g), with the request
// prompt that produced each one.

const save = (from: string) => ({
  class_type: 'SaveImage',
  inputs: { images: [from, 0], filename_prefix: 'x' },
});
const empty = (inputs: Record<string, unknown>) => ({ class_type: 'EmptyImage', inputs });
const widthConfig = ['INT', { default: 512, min: 1, max: 16384, step: 1 }];
const failed = {
  type: 'prompt_outputs_failed_validation',
  message: 'Prompt outputs failed validation',
  details: '',
  extra_info: {},
};

export interface BodyCase {
  name: string;
  request: Record<string, unknown>;
  body: unknown;
}

export const VALIDATION_CASES: BodyCase[] = [
  {
    name: 'nonexistent class_type',
    request: { prompt: { '1': { class_type: 'NoSuchNode', inputs: {} }, '2': save('1') } },
    body: {
      error: {
        type: 'invalid_prompt',
        message: 'Cannot execute because node NoSuchNode does not exist.',
        details: "Node ID '#1'",
        extra_info: {},
      },
      node_errors: {},
    },
  },
  {
    name: 'width -5',
    request: { prompt: { '1': empty({ width: -5, height: 64, batch_size: 1, color: 0 }), '2': save('1') } },
    body: {
      error: failed,
      node_errors: {
        '1': {
          errors: [
            {
              type: 'value_smaller_than_min',
              message: 'Value -5 smaller than min of 1',
              details: 'width',
              extra_info: { input_name: 'width', input_config: widthConfig, received_value: -5 },
            },
          ],
          dependent_outputs: ['2'],
          class_type: 'EmptyImage',
        },
      },
    },
  },
  {
    name: 'missing required input',
    request: { prompt: { '1': empty({ width: 64, batch_size: 1, color: 0 }), '2': save('1') } },
    body: {
      error: failed,
      node_errors: {
        '1': {
          errors: [
            {
              type: 'required_input_missing',
              message: 'Required input is missing',
              details: 'height',
              extra_info: { input_name: 'height' },
            },
          ],
          dependent_outputs: ['2'],
          class_type: 'EmptyImage',
        },
      },
    },
  },
  {
    name: 'width is a string',
    request: {
      prompt: { '1': empty({ width: 'abc', height: 64, batch_size: 1, color: 0 }), '2': save('1') },
    },
    body: {
      error: failed,
      node_errors: {
        '1': {
          errors: [
            {
              type: 'invalid_input_type',
              message: 'Failed to convert an input value to a INT value',
              details: "width, abc, invalid literal for int() with base 10: 'abc'",
              extra_info: {
                input_name: 'width',
                input_config: widthConfig,
                received_value: 'abc',
                exception_message: "invalid literal for int() with base 10: 'abc'",
              },
            },
          ],
          dependent_outputs: ['2'],
          class_type: 'EmptyImage',
        },
      },
    },
  },
  {
    name: 'bad combo value',
    request: {
      prompt: {
        '1': empty({ width: 64, height: 64, batch_size: 1, color: 0 }),
        '2': {
          class_type: 'ImageScale',
          inputs: { image: ['1', 0], upscale_method: 'foo', width: 32, height: 32, crop: 'disabled' },
        },
        '3': save('2'),
      },
    },
    body: {
      error: failed,
      node_errors: {
        '2': {
          errors: [
            {
              type: 'value_not_in_list',
              message: 'Value not in list',
              details:
                "upscale_method: 'foo' not in ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']",
              extra_info: {
                input_name: 'upscale_method',
                input_config: [['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], {}],
                received_value: 'foo',
              },
            },
          ],
          dependent_outputs: ['3'],
          class_type: 'ImageScale',
        },
      },
    },
  },
  {
    name: 'no output node',
    request: { prompt: { '1': empty({ width: 64, height: 64, batch_size: 1, color: 0 }) } },
    body: {
      error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
      node_errors: {},
    },
  },
  {
    name: 'empty prompt',
    request: { prompt: {} },
    body: {
      error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
      node_errors: {},
    },
  },
  {
    name: "no 'prompt' key",
    request: { client_id: 'x' },
    body: {
      error: {
        type: 'no_prompt',
        message: 'No prompt provided',
        details: 'No prompt provided',
        extra_info: {},
      },
      node_errors: {},
    },
  },
  {
    name: 'LoadImage of a missing file',
    request: {
      prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'missing.png' } }, '2': save('1') },
    },
    body: {
      error: failed,
      node_errors: {
        '1': {
          errors: [
            {
              type: 'custom_validation_failed',
              message: 'Custom validation failed for node',
              details: 'image - Invalid image file: missing.png',
              extra_info: { input_name: 'image' },
            },
          ],
          dependent_outputs: ['2'],
          class_type: 'LoadImage',
        },
      },
    },
  },
];

/** §5.3 "link to missing node"; the traceback differs (it is ours), so it is checked by shape. */
export const MISSING_LINK = {
  request: { prompt: { '2': save('9') } },
  error: {
    type: 'prompt_outputs_failed_validation',
    message: 'Prompt outputs failed validation',
    details: "Exception when validating node: '9'",
    extra_info: {},
  },
  nodeError: {
    type: 'exception_during_validation',
    message: 'Exception when validating node',
    details: "'9'",
  },
};

/** Run (g): the SDXL graph against a server whose only checkpoint is tiny_sd15. */
export const SDXL_MISSING_CHECKPOINT_BODY = {
  error: failed,
  node_errors: {
    '4': {
      errors: [
        {
          type: 'value_not_in_list',
          message: 'Value not in list',
          details: "ckpt_name: 'sd_xl_base_1.0.safetensors' not in ['tiny_sd15.safetensors']",
          extra_info: {
            input_name: 'ckpt_name',
            input_config: [
              ['tiny_sd15.safetensors'],
              { tooltip: 'The name of the checkpoint (model) to load.' },
            ],
            received_value: 'sd_xl_base_1.0.safetensors',
          },
        },
      ],
      dependent_outputs: ['9'],
      class_type: 'CheckpointLoaderSimple',
    },
  },
};
