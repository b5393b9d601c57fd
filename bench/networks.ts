/** The fixed networks of the bench's single-run rows (`bench.ts`) and of `profile-cnn.ts`. */
import type { ModelDefinition } from '../src/model/types';

/**
 * The layers of the fixed networks, as Model Lab reads them; `peer_torch.py`'s build() holds the same networks.
 *  - cnn: the Small CNN template without its BatchNormalization and Dropout (the network of issue 15's figures);
 *  - cnn-bn: stride-2 'same' convolutions with BatchNormalization after each, then average pooling;
 *  - lstm: each pixel value (0-255, unscaled) is a token of Embedding(256, 8); each image row is one of 28 steps.
 */
export type NetworkName = 'cnn' | 'cnn-bn' | 'lstm';

export const NETWORKS: Record<NetworkName, ModelDefinition['layers']> = {
  cnn: [
    { type: 'Reshape', target_shape: [28, 28, 1], input_shape: [28, 28] },
    { type: 'Conv2D', filters: 32, kernel_size: 3, padding: 'same', activation: 'relu' },
    { type: 'MaxPooling2D', pool_size: 2 },
    { type: 'Conv2D', filters: 64, kernel_size: 3, padding: 'same', activation: 'relu' },
    { type: 'MaxPooling2D', pool_size: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  'cnn-bn': [
    { type: 'Reshape', target_shape: [28, 28, 1], input_shape: [28, 28] },
    { type: 'Conv2D', filters: 32, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'Conv2D', filters: 64, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'AveragePooling2D', pool_size: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  lstm: [
    { type: 'Embedding', input_dim: 256, output_dim: 8, input_shape: [28, 28] },
    { type: 'Reshape', target_shape: [28, 224] },
    { type: 'LSTM', units: 64 },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};
