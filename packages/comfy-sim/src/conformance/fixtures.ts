// Recorded behaviour of a real ComfyUI 0.3.64 (comfy-real-transcripts.md), in the short notation of
// harness.ts `summarize`. The simulator is held to these sequences.

export const emptySave = (prefix = 'test', color = 0, size = 64) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: size, height: size, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

export const invertChain = (prefix = 'invert') => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
});

/** §5.1 "normal: EmptyImage -> SaveImage". */
export const NORMAL_EMPTY_SAVE = [
  'status q=1',
  'status q=1',
  'execution_start',
  'execution_cached []',
  'ps 1:running',
  'executing 1',
  'ps 1:finished',
  'ps 1:finished 2:running',
  'executing 2',
  'executed 2 test_00001_.png',
  'ps 1:finished 2:finished',
  'execution_success',
  'status q=0',
  'executing null',
];

/** §5.1 "normal: EmptyImage -> ImageInvert -> SaveImage" (node 1 cached from the previous run). */
export const NORMAL_INVERT = [
  'status q=1',
  'status q=1',
  'execution_start',
  'execution_cached [1]',
  'ps 2:running',
  'executing 2',
  'ps 2:finished',
  'ps 2:finished 3:running',
  'executing 3',
  'executed 3 invert_00001_.png',
  'ps 2:finished 3:finished',
  'execution_success',
  'status q=0',
  'executing null',
];

/** §5.1 "cached rerun": no executing, the old file, progress_state for the output node only. */
export const CACHED_RERUN = [
  'status q=1',
  'status q=1',
  'execution_start',
  'execution_cached [1,2,3]',
  'executed 3 invert_00001_.png',
  'ps 3:finished',
  'execution_success',
  'status q=0',
  'executing null',
];

/** §5.1 "partial cache: only SaveImage prefix changed". */
export const PARTIAL_CACHE = [
  'status q=1',
  'status q=1',
  'execution_start',
  'execution_cached [1,2]',
  'ps 3:running',
  'executing 3',
  'executed 3 invert2_00001_.png',
  'ps 3:finished',
  'execution_success',
  'status q=0',
  'executing null',
];

export const blurGraph = {
  '1': { class_type: 'EmptyImage', inputs: { width: 1, height: 1, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 5, sigma: 1 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'blur' } },
};

/** §5.2 execution error. */
export const EXECUTION_ERROR = [
  'status q=1',
  'status q=1',
  'execution_start',
  'execution_cached []',
  'ps 1:running',
  'executing 1',
  'ps 1:finished',
  'ps 1:finished 2:running',
  'executing 2',
  'execution_error 2 ImageBlur',
  'status q=0',
  'executing null',
];
export const BLUR_EXCEPTION_MESSAGE =
  'Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (5, 5) at dimension 3 of input [1, 3, 1, 1]\n';

export const slowGraph = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': {
    class_type: 'ImageScale',
    inputs: { image: ['1', 0], upscale_method: 'lanczos', width: 96, height: 96, crop: 'disabled' },
  },
  '3': { class_type: 'ImageInvert', inputs: { image: ['2', 0] } },
  '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'slow' } },
};

/** §5.4 "interrupt A while ImageScale runs": the interrupt lands when node 3 starts. */
export const INTERRUPT_AT_NODE_START = [
  'ps 1:finished 2:finished',
  'ps 1:finished 2:finished 3:running',
  'executing 3',
  'execution_interrupted 3 ImageInvert',
];

export const sizeGraph = {
  '1': { class_type: 'EmptyImage', inputs: { width: 24, height: 12, batch_size: 1, color: 0 } },
  '2': { class_type: 'GetImageSize', inputs: { image: ['1', 0] } },
  '3': { class_type: 'EmptyImage', inputs: { width: ['2', 0], height: ['2', 1], batch_size: 1, color: 255 } },
  '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'size' } },
};

/** §5.6 binary TEXT frame run. */
export const TEXT_FRAME_RUN = [
  'status q=1',
  'status q=1',
  'execution_start',
  'execution_cached []',
  'ps 1:running',
  'executing 1',
  'ps 1:finished',
  'ps 1:finished 2:running',
  'executing 2',
  'bin3',
  'ps 1:finished 2:finished',
  'ps 1:finished 2:finished 3:running',
  'executing 3',
  'ps 1:finished 2:finished 3:finished',
  'ps 1:finished 2:finished 3:finished 4:running',
  'executing 4',
  'executed 4 size_00001_.png',
  'ps 1:finished 2:finished 3:finished 4:finished',
  'execution_success',
  'status q=0',
  'executing null',
];
export const TEXT_FRAME_HEX =
  '00000003000000013277696474683a2032342c206865696768743a2031320a2062617463682073697a653a2031';

/** §5.8 observer socket. */
export const OBSERVER_OTHER_CLIENT = ['status q=1', 'status q=1', 'status q=0'];
export const OBSERVER_NO_CLIENT = [
  'status q=1',
  'status q=1',
  'ps 1:running',
  'ps 1:finished',
  'ps 1:finished 2:running',
  'ps 1:finished 2:finished',
  'status q=0',
];

/** §5.5 two output nodes sharing an upstream: order 1, 3, 2, 4. */
export const twoOutputs = {
  '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color: 65280 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'two_a' } },
  '4': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'two_b' } },
};
export const TWO_OUTPUTS_EXECUTING = ['executing 1', 'executing 3', 'executing 2', 'executing 4'];

/** Sampler run (a): node order 4, 5, 7, 6, 3, 8, 9 and per step ps → progress → bin1. */
export const TXT2IMG_EXECUTING = [
  'executing 4',
  'executing 5',
  'executing 7',
  'executing 6',
  'executing 3',
  'executing 8',
  'executing 9',
];
export const STEP_TYPE1 = ['ps', 'progress', 'bin1'];
export const STEP_TYPE4 = ['ps', 'bin4', 'progress'];
