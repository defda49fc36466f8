"""``keras.datasets``: ``mnist`` and ``fashion_mnist``, each with ``load_data()`` returning NumPy arrays as Keras does.

Files are looked up as convlens looks them up (an explicit path, ``$CONVLENS_DATA``, the user cache, the public
mirrors with sha256 checks).

Example:
    >>> from convlens.keras.datasets import mnist
    >>> callable(mnist.load_data)
    True
"""

from ...datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
