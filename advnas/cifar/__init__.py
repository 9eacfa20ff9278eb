"""CIFAR-10 for the cell search of Sec. 5.2: decoded once into memory, augmented on the device."""
