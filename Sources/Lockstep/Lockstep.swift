// `import Lockstep` brings the whole library a program of its own needs: tensors and kernels,
// layers and losses, optimizers, HDF5, shards and loaders, the zoo and weight files, exports
// (ONNX, safetensors, Keras), the communicator, what operates a run (the stall watchdog,
// replica fingerprints, NaN diagnosis), and the data-parallel core of this module (World,
// DataParallel, TrainingState).
// The training run from typed parts and the recipe runner (`LockstepTrain`) are a separate
// product, built on these.
@_exported import LockstepData
@_exported import LockstepDistributed
@_exported import LockstepExport
@_exported import LockstepHDF5
@_exported import LockstepModels
@_exported import LockstepNN
@_exported import LockstepOperations
@_exported import LockstepOptimizers
@_exported import LockstepTensor
