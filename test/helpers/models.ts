/** The small tutorial MLP on the bundled sample that training tests share (2,400 train / 600 validation images). */
import type { ModelDefinition } from '../../src/model/types';

export function sampleMlp(over: Partial<ModelDefinition> = {}): ModelDefinition {
  return {
    name: 'sample-mlp',
    dataset: 'fashion-mnist-sample',
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 32, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 2, batch_size: 32 },
    ...over,
  };
}
