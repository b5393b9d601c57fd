/**
 * SimpleRNN, LSTM and GRU: one cell run over the time steps of a (timesteps, features) input. They differ in the
 * number of gates (1, 4, 3) and GRU's second bias (reset_after=True, the Keras 2 and 3 default).
 */
import { thousands } from '../number-format';
import {
  activationArg,
  activationOf,
  lastDim,
  positiveInt,
  requireLastDefined,
  seedArg,
  useBiasArg,
  weightArgs,
} from './common';
import type { ArgDef, Dim, LayerDef, ParamCount } from './layer-def';
import { requireSequence } from './layer-shapes';

const flag = (description: string): ArgDef => ({ schema: { type: 'boolean', description }, default: false });
const dropoutArg = (what: string): ArgDef => ({
  schema: { type: 'number', minimum: 0, maximum: 1, description: `Fraction of the ${what} to drop while training.` },
  default: 0,
});

/** Arguments every recurrent layer takes (besides units and activations). */
const RECURRENT_ARGS: Record<string, ArgDef> = {
  use_bias: useBiasArg,
  dropout: dropoutArg('inputs'),
  recurrent_dropout: dropoutArg('recurrent state'),
  return_sequences: flag('Output the whole sequence (timesteps, units) instead of the last step only (units).'),
  return_state: flag('Also return the last state(s) beside the output; only usable in a graph (functional) model.'),
  go_backwards: flag('Process the sequence backwards.'),
  stateful: flag("Carry each batch's last state into the next batch (needs a fixed batch size)."),
  unroll: flag('Unroll the loop over time steps (faster for short sequences, same result).'),
  time_major: {
    schema: {
      type: 'boolean',
      enum: [false],
      description:
        'Inputs (timesteps, batch, features): Model Lab reads batch-major inputs (False, Keras’s default) only.',
    },
    default: false,
  },
  seed: seedArg,
  // Keras's names: kernel_*, recurrent_* (the recurrent kernel) and bias_*, plus activity_regularizer.
  ...weightArgs({ kernel: 'glorot_uniform', recurrent: 'orthogonal', bias: 'zeros' }),
};

/** LSTM's and GRU's `implementation` (1 or 2): how the gates are batched; the results are the same. */
const implementationArg: ArgDef = {
  schema: { type: 'integer', enum: [1, 2], description: 'How the gate computations are batched (same results).' },
  default: 2,
};

/** Output (units), or (timesteps, units) with return_sequences; states are only countable in a graph model. */
function recurrentShape(type: string) {
  return (input: readonly Dim[], args: Record<string, unknown>) => {
    // The time steps may be None (sequences of any length); the kernels need the features' size.
    const bad = requireSequence(type, input) ?? requireLastDefined(type, input);
    if (bad) return bad;
    if (args.return_state === true) {
      return {
        error: `${type} with return_state=True has several outputs (the output and its states); Model Lab reads single-output layers only, so remove return_state.`,
        arg: 'return_state',
      };
    }
    const units = args.units as number;
    return { shape: args.return_sequences === true ? [input[0], units] : [units] };
  };
}

/**
 * `gates × (units × (features + units) + biases)`: each gate has an input kernel, a recurrent kernel and a bias
 * (GRU with reset_after has two biases per gate, one for the input and one for the recurrent part).
 */
function gateParams(gates: number, biasesPerGate: number) {
  return (input: readonly Dim[], args: Record<string, unknown>): ParamCount => {
    const units = args.units as number;
    const d = lastDim(input);
    const bias = args.use_bias !== false ? biasesPerGate : 0;
    const perGate = units * (d + units) + bias * units;
    const total = gates * perGate;
    const kernels = `${thousands(units)} × (${thousands(d)} + ${thousands(units)})`;
    const biases = bias === 0 ? '' : bias === 1 ? ` + ${thousands(units)}` : ` + ${bias} × ${thousands(units)}`;
    const inner = `${kernels}${biases}`;
    const arithmetic = gates === 1 ? `${inner} = ${thousands(total)}` : `${gates} × (${inner}) = ${thousands(total)}`;
    return { trainable: total, nonTrainable: 0, arithmetic };
  };
}

export const SimpleRNN: LayerDef = {
  type: 'SimpleRNN',
  defaultName: 'simple_rnn',
  doc: 'Fully connected recurrent layer: each step mixes the input with the previous output, then the activation (tanh).',
  positionalArgs: ['units', 'activation', 'use_bias'],
  args: {
    units: { schema: positiveInt('Size of the output and of the hidden state.') },
    activation: activationArg('Activation of the state.', 'tanh'),
    ...RECURRENT_ARGS,
  },
  required: ['units'],
  outputShape: recurrentShape('SimpleRNN'),
  params: gateParams(1, 1),
  activationOf,
};

export const LSTM: LayerDef = {
  type: 'LSTM',
  defaultName: 'lstm',
  doc: 'Long short-term memory: four gates (input, forget, cell, output) decide what the cell state keeps at each step.',
  positionalArgs: ['units', 'activation', 'recurrent_activation', 'use_bias'],
  args: {
    units: { schema: positiveInt('Size of the output and of the hidden and cell states.') },
    activation: activationArg('Activation of the cell candidate and output.', 'tanh'),
    recurrent_activation: activationArg('Activation of the gates.', 'sigmoid'),
    ...RECURRENT_ARGS,
    unit_forget_bias: { schema: { type: 'boolean', description: 'Start the forget gate bias at 1.' }, default: true },
    implementation: implementationArg,
  },
  required: ['units'],
  outputShape: recurrentShape('LSTM'),
  params: gateParams(4, 1),
  activationOf,
};

export const GRU: LayerDef = {
  type: 'GRU',
  defaultName: 'gru',
  doc: 'Gated recurrent unit: update and reset gates decide how much of the previous state each step keeps.',
  positionalArgs: ['units', 'activation', 'recurrent_activation', 'use_bias'],
  args: {
    units: { schema: positiveInt('Size of the output and of the hidden state.') },
    activation: activationArg('Activation of the candidate state.', 'tanh'),
    recurrent_activation: activationArg('Activation of the gates.', 'sigmoid'),
    ...RECURRENT_ARGS,
    reset_after: {
      schema: {
        type: 'boolean',
        description: 'Apply the reset gate after the recurrent matrix (Keras 2/3 default, two biases per gate).',
      },
      default: true,
    },
    implementation: implementationArg,
  },
  required: ['units'],
  outputShape: recurrentShape('GRU'),
  params: (input, args) => gateParams(3, args.reset_after === false ? 1 : 2)(input, args),
  activationOf,
};

export const RECURRENT_TYPES: readonly string[] = ['SimpleRNN', 'LSTM', 'GRU'];
