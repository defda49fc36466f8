"""Image classification (TensorFlow tutorial), its Keras parts, short version: a folder of generated pictures of
three shapes instead of the flower photos, 32x32 pixels, two epochs. The data pipeline, the augmentation stack, the
model and the prediction on one image are the tutorial's.

On real Keras, ``keras.utils.image_dataset_from_directory`` returns a ``tf.data.Dataset``: that side needs TensorFlow.
"""

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

if os.environ.get("TUTORIAL_LIBRARY") == "keras": import keras  # noqa: E701
else: import convlens.keras as keras  # noqa: E701
layers = keras.layers

keras.utils.set_random_seed(0)

# A small image folder: 12 pictures per class of a bright disc, square or bar on a noisy background.
data_dir = Path(tempfile.mkdtemp()) / "shapes"
rng = np.random.default_rng(0)
yy, xx = np.mgrid[:40, :40]
for class_name in ["bars", "discs", "squares"]:
    (data_dir / class_name).mkdir(parents=True)
    for i in range(12):
        cy, cx, r = rng.integers(14, 26), rng.integers(14, 26), rng.integers(7, 11)
        if class_name == "discs":
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        elif class_name == "squares":
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
        else:
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= 2)
        pixels = rng.integers(0, 60, (40, 40, 3))
        pixels[mask] = rng.integers(180, 256, 3)
        Image.fromarray(pixels.astype("uint8")).save(data_dir / class_name / f"{i}.png")

batch_size = 8
img_height = 32
img_width = 32

train_ds = keras.utils.image_dataset_from_directory(
    data_dir, validation_split=0.2, subset="training", seed=123,
    image_size=(img_height, img_width), batch_size=batch_size)
val_ds = keras.utils.image_dataset_from_directory(
    data_dir, validation_split=0.2, subset="validation", seed=123,
    image_size=(img_height, img_width), batch_size=batch_size)
class_names = train_ds.class_names
print(class_names)
assert class_names == ["bars", "discs", "squares"]

for image_batch, labels_batch in train_ds.take(1):
    print(image_batch.shape)
    print(labels_batch.shape)
    assert tuple(image_batch.shape) == (batch_size, img_height, img_width, 3)
    assert tuple(labels_batch.shape) == (batch_size,)

AUTOTUNE = -1  # tf.data.AUTOTUNE
train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)

# Standardize the data: Rescaling maps [0, 255] to [0, 1].
normalization_layer = layers.Rescaling(1.0 / 255)
normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
image_batch, labels_batch = next(iter(normalized_ds))
first_image = keras.ops.convert_to_numpy(image_batch[0])
print(np.min(first_image), np.max(first_image))
assert 0 <= np.min(first_image) and np.max(first_image) <= 1

num_classes = len(class_names)

data_augmentation = keras.Sequential(
    [
        layers.Input((img_height, img_width, 3)),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ]
)
augmented = keras.ops.convert_to_numpy(data_augmentation(image_batch, training=True))
assert augmented.shape == tuple(image_batch.shape)
assert not np.allclose(augmented, keras.ops.convert_to_numpy(image_batch)), "training mode augments"
np.testing.assert_allclose(keras.ops.convert_to_numpy(data_augmentation(image_batch, training=False)),
                           keras.ops.convert_to_numpy(image_batch))

model = keras.Sequential(
    [
        data_augmentation,
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes, name="outputs"),
    ]
)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.summary()
assert model.count_params() == (448 + 4640 + 18496) + (4 * 4 * 64 * 128 + 128) + (128 * 3 + 3)

epochs = 2
history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0)
acc = history.history["accuracy"]
val_acc = history.history["val_accuracy"]
loss = history.history["loss"]
val_loss = history.history["val_loss"]
assert len(acc) == len(val_acc) == len(loss) == len(val_loss) == epochs
assert all(np.isfinite(loss + val_loss)), history.history

# Predict on new data: one picture, loaded as a PIL image and made a batch of one.
disc_path = data_dir / "discs" / "0.png"
img = keras.utils.load_img(disc_path, target_size=(img_height, img_width))
img_array = keras.utils.img_to_array(img)
img_array = keras.ops.expand_dims(img_array, 0)  # Create a batch

predictions = model.predict(img_array, verbose=0)
score = keras.ops.convert_to_numpy(keras.ops.softmax(predictions[0]))
assert predictions.shape == (1, num_classes) and abs(score.sum() - 1) < 1e-5
print(
    "This image most likely belongs to {} with a {:.2f} percent confidence.".format(
        class_names[np.argmax(score)], 100 * np.max(score)
    )
)
