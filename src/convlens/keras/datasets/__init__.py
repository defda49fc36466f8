"""``keras.datasets``: ``mnist``, ``fashion_mnist`` and ``cifar10``, each with ``load_data()`` returning NumPy arrays as Keras does.

Files are looked up as convlens looks them up (an explicit path, ``$CONVLENS_DATA``, the user cache, the public
mirrors with sha256 checks).

Example:
    >>> from convlens.keras.datasets import mnist
    >>> callable(mnist.load_data)
    True
"""

from ...datasets import cifar10, fashion_mnist, mnist

__all__ = ["cifar10", "fashion_mnist", "mnist"]
