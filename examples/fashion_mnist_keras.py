"""Fashion-MNIST with Keras: the classic tutorial models, which Model Lab reads straight from this file.

Open it in VS Code with Model Lab installed: each keras.Sequential model gets its summary, shapes and parameter
counts inline, and "Model Lab: Train Model" trains it with TensorFlow.js, without running this script.
It is also a plain Keras script: `python fashion_mnist_keras.py` trains both models with TensorFlow.
"""
from tensorflow import keras

keras.utils.set_random_seed(42)

# 60,000 training and 10,000 test images of 28x28 grey pixels, in 10 classes.
(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# A multilayer perceptron: 784 pixels -> 100 hidden units -> 10 class probabilities (79,510 parameters).
HIDDEN_UNITS = 100

model = keras.Sequential([
    keras.layers.Flatten(input_shape=[28, 28]),
    keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
], name="mlp")
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=10, batch_size=32, validation_split=0.2)
model.evaluate(x_test, y_test)

# A small convolutional network: two 3x3 convolutions with pooling, then the classifier (50,186 parameters).
cnn = keras.Sequential(name="cnn")
cnn.add(keras.Input(shape=(28, 28)))
cnn.add(keras.layers.Reshape((28, 28, 1)))
cnn.add(keras.layers.Conv2D(32, 3, padding="same", activation="relu"))
cnn.add(keras.layers.MaxPooling2D(2))
cnn.add(keras.layers.Conv2D(64, 3, padding="same", activation="relu"))
cnn.add(keras.layers.MaxPooling2D(2))
cnn.add(keras.layers.Flatten())
cnn.add(keras.layers.Dropout(0.25))
cnn.add(keras.layers.Dense(10, activation="softmax"))
cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
cnn.fit(x_train, y_train, epochs=5, batch_size=64, validation_split=0.2)
cnn.evaluate(x_test, y_test)
