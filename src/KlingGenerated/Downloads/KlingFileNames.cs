using System.Security.Cryptography;
using System.Text;

namespace KlingGenerated;

/// <summary>
/// File names built from what the service says. A task id is service text: it must never become a path as it is
/// (<c>../../x</c>, <c>/srv/videos/victim</c>). Use <see cref="ForTask"/> for the name and <see cref="InsideDirectory"/> for the path.
/// </summary>
// CUSTOM: the service's answers are untrusted; one place turns its text into file names.
public static class KlingFileNames
{
    private const int MaxStemLength = 100;

    /// <summary>
    /// A safe file name for a task's result: the task id itself when it has only ASCII letters, digits, <c>_</c> and
    /// <c>-</c> (at most 100 of them) and holds no secret added to <see cref="KlingSecrets"/> (an API key a hostile service
    /// echoed as the id must not land on disk in a file name), else <c>task-</c> and the first 16 hex digits of the id's
    /// SHA-256, so the same id always gives the same name. Then <paramref name="extension"/> (default <c>.mp4</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The extension is not a dot and up to 10 letters or digits.</exception>
    public static string ForTask(string taskId, string extension = ".mp4")
    {
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(extension);
        if (extension.Length > 0 && (extension[0] != '.' || extension.Length > 11 || !extension.Skip(1).All(char.IsAsciiLetterOrDigit)))
        {
            throw new ArgumentException($"The extension must be empty or a dot and up to 10 ASCII letters or digits, such as .mp4, not '{extension}'.", nameof(extension));
        }

        return (IsSafeStem(taskId) ? taskId : "task-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(taskId)))[..16]) + extension;
    }

    /// <summary>
    /// The full path of <paramref name="fileName"/> inside <paramref name="directory"/>, checked to lie directly in it:
    /// a name with a folder separator, <c>..</c>, a drive or a rooted path is refused.
    /// </summary>
    /// <exception cref="ArgumentException">The name would leave the folder.</exception>
    public static string InsideDirectory(string directory, string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var full = Path.GetFullPath(Path.Combine(folder, fileName));
        if (fileName is "." or ".." || fileName.IndexOfAny(['/', '\\', '\0']) >= 0 || Path.IsPathRooted(fileName)
            || !string.Equals(Path.GetDirectoryName(full), folder, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new ArgumentException($"The file name '{Printable(fileName)}' would leave the folder {folder}; build names with KlingFileNames.ForTask.", nameof(fileName));
        }

        return full;
    }

    private static bool IsSafeStem(string stem) =>
        stem.Length is > 0 and <= MaxStemLength
        && stem.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') // a dot: task ids of dotted model families keep their name
        && stem[0] is not ('-' or '.') // not mistaken for an option by a shell tool, not hidden
        && stem[^1] != '.' && !stem.Contains("..", StringComparison.Ordinal) // Windows drops a trailing dot; no parent-folder look-alike
        && !IsWindowsDeviceName(stem.Split('.')[0]) // CON.x is the device too
        && ReferenceEquals(KlingSecrets.Mask(stem), stem); // holds no API key (Mask returns the same instance when it has none)

    private static bool IsWindowsDeviceName(string stem) =>
        stem.ToUpperInvariant() is "CON" or "PRN" or "AUX" or "NUL" or "CONIN$" or "CONOUT$"
        || (stem.Length == 4 && (stem.StartsWith("COM", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("LPT", StringComparison.OrdinalIgnoreCase)) && char.IsAsciiDigit(stem[3]));

    private static string Printable(string text) =>
        new(text.Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
