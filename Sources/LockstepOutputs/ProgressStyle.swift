/// How rank 0 shows the training's progress on its console.
public enum ProgressStyle: String, CaseIterable, Sendable {
    /// A bar when standard output (mpirun's, under mpirun) is a terminal, else lines.
    case auto
    /// A live bar redrawn in place, whatever the output is.
    case bar
    /// A line every `log_every` steps (what a Slurm log or a pipe wants).
    case lines
    /// No step lines or bars on the console (they still go to logs/rank-0.log).
    case none
}
