"""Where training and reference images come from: the built-in shapes set, CIFAR-10 through
torchvision, .npz files and image folders, sliced and batched."""
