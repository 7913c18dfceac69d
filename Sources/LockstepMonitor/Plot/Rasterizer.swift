import Foundation

/// Turns an SVG file into PNG with a real SVG renderer found on PATH: librsvg's
/// `rsvg-convert` (Debian: librsvg2-bin), else ImageMagick's `magick` or `convert`.
public enum Rasterizer {
    /// The tool used; throws when none is installed or it fails.
    @discardableResult
    public static func png(from svg: String, to png: String) throws -> String {
        let candidates: [(tool: String, arguments: [String])] = [
            ("rsvg-convert", ["--background-color", "white", "-o", png, svg]),
            ("magick", [svg, png]),
            ("convert", [svg, png]),
        ]
        guard let (tool, arguments) = candidates.first(where: { find($0.tool) != nil }), let path = find(tool) else {
            throw MonitorError("\(png): no SVG rasterizer on PATH (install librsvg2-bin for rsvg-convert, or ImageMagick), or write an .svg")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        do { try process.run() } catch { throw MonitorError("\(path): cannot run (\(error.localizedDescription))") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MonitorError("\(tool) failed (exit \(process.terminationStatus)) turning \(svg) into \(png)") }
        return tool
    }

    /// The executable `name` on PATH.
    static func find(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
