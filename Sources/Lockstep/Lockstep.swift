// `import Lockstep` brings the whole library a program of its own needs: tensors and kernels,
// layers and losses, optimizers, HDF5, shards and loaders, the zoo and weight files, the
// communicator, and the data-parallel core of this module (World, DataParallel, TrainingState).
// The recipe runner (`LockstepTrain`) is a separate product, built on these.
@_exported import LockstepData
@_exported import LockstepDistributed
@_exported import LockstepHDF5
@_exported import LockstepModels
@_exported import LockstepNN
@_exported import LockstepOptimizers
@_exported import LockstepTensor
