using Microsoft.Win32.SafeHandles;

namespace GrpcSync.Connectors.Filesystem;

/// <summary>Path helpers: real paths (symbolic links resolved), containment and relative-path checks.</summary>
internal static class FilesystemPaths
{
    /// <summary>Like the kernel's limit (ELOOP): more links than this on one path is treated as a loop.</summary>
    private const int MaxFollowedLinks = 40;

    private static readonly char[] Separators = OperatingSystem.IsWindows() ? ['\\', '/'] : ['/'];

    /// <summary>Case rules of the usual filesystems of the platform.</summary>
    public static StringComparison PathComparison { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// The real path of an absolute path: every symbolic link resolved (component by component,
    /// <c>..</c> applied after resolution, as <c>realpath(3)</c> does). When a component does not exist,
    /// the rest is appended lexically and <c>Exists</c> is false, so callers can still tell where the
    /// path points without learning whether it exists.
    /// </summary>
    /// <exception cref="ArgumentException">The path is not fully qualified.</exception>
    /// <exception cref="SymbolicLinkLoopException">Too many symbolic links.</exception>
    public static (string Path, bool Exists) Resolve(string path)
    {
        if (!System.IO.Path.IsPathFullyQualified(path))
            throw new ArgumentException("The path must be absolute.", nameof(path));

        var current = System.IO.Path.GetPathRoot(path)!;
        var pending = new Stack<string>();
        PushComponents(pending, path[current.Length..]);
        var followed = 0;

        while (pending.TryPop(out var part))
        {
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                current = System.IO.Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var candidate = System.IO.Path.Join(current, part);
            var info = new FileInfo(candidate);
            var attributes = info.Attributes;
            if ((int)attributes == -1)
            {
                // Missing (or a non-directory in the middle): finish lexically.
                var rest = string.Join(System.IO.Path.DirectorySeparatorChar, pending);
                var lexical = rest.Length == 0 ? candidate : System.IO.Path.GetFullPath(System.IO.Path.Join(candidate, rest));
                return (TrimEndSeparator(lexical), false);
            }

            if ((attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget is { } target)
            {
                if (++followed > MaxFollowedLinks)
                    throw new SymbolicLinkLoopException();
                if (System.IO.Path.IsPathRooted(target))
                {
                    current = System.IO.Path.GetPathRoot(target) is { Length: > 0 } targetRoot && System.IO.Path.IsPathFullyQualified(targetRoot)
                        ? targetRoot
                        : System.IO.Path.GetPathRoot(current)!;
                    PushComponents(pending, target[System.IO.Path.GetPathRoot(target)!.Length..]);
                }
                else
                {
                    PushComponents(pending, target);
                }
                continue;
            }

            current = candidate;
        }

        return (current, true);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies below it (both real, absolute).</summary>
    public static bool IsUnder(string path, string root)
    {
        var trimmedRoot = TrimEndSeparator(root);
        var trimmedPath = TrimEndSeparator(path);
        if (string.Equals(trimmedPath, trimmedRoot, PathComparison))
            return true;
        var prefix = trimmedRoot.EndsWith(System.IO.Path.DirectorySeparatorChar) ? trimmedRoot : trimmedRoot + System.IO.Path.DirectorySeparatorChar;
        return trimmedPath.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// Checks a '/'-separated path that must stay inside a root: not empty, not absolute, no
    /// backslash, no empty, <c>.</c> or <c>..</c> segment. Returns a description of the problem, or null.
    /// </summary>
    public static string? CheckRelative(string value)
    {
        if (value.Length == 0)
            return "must not be empty";
        if (value.Contains('\0'))
            return "must not contain NUL characters";
        if (value.Contains('\\'))
            return "must use '/' as the separator; backslashes are not allowed";
        if (value.StartsWith('/') || System.IO.Path.IsPathRooted(value) || (OperatingSystem.IsWindows() && value.Contains(':')))
            return "must be relative to the account root, not an absolute path";
        foreach (var segment in value.Split('/'))
        {
            if (segment.Length == 0)
                return "must not contain empty segments (leading, trailing or repeated '/')";
            if (segment == "..")
                return "must not contain '..' segments";
            if (segment == ".")
                return "must not contain '.' segments";
        }
        return null;
    }

    /// <summary>Joins a '/'-separated relative path (already checked) onto a root with native separators.</summary>
    public static string JoinRelative(string root, string relative) =>
        System.IO.Path.Join(root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>
    /// Where an open handle really points, when the platform can tell (Linux: <c>/proc/self/fd</c>);
    /// null otherwise. Used to catch a path component swapped for a symbolic link between checks and open.
    /// </summary>
    public static string? OpenedPath(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            var target = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
            const string deleted = " (deleted)";
            return target is not null && target.EndsWith(deleted, StringComparison.Ordinal) ? target[..^deleted.Length] : target;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void PushComponents(Stack<string> pending, string relative)
    {
        var parts = relative.Split(Separators);
        for (var i = parts.Length - 1; i >= 0; i--)
            pending.Push(parts[i]);
    }

    private static string TrimEndSeparator(string path)
    {
        var root = System.IO.Path.GetPathRoot(path) ?? "";
        return path.Length > root.Length ? path.TrimEnd(Separators) : path;
    }
}
