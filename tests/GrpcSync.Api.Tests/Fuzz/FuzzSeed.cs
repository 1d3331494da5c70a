using System.Globalization;
using System.Security.Cryptography;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// The seed of a fuzz storm: <c>GRPCSYNC_FUZZ_SEED</c> when set (to replay a failure); on CI (<c>CI=true</c>)
/// a fixed one, so a landing is never decided by the luck of a draw; otherwise a fresh one per run, so local
/// runs keep exploring. Printed with every failure. Each case gets its own <see cref="Random"/> derived from
/// (seed, storm, case index), so case N is the same for a seed however far a time-bounded run got.
/// </summary>
public static class FuzzSeed
{
    public const string EnvironmentVariable = "GRPCSYNC_FUZZ_SEED";

    public static int Resolve()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(text))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
                ? seed
                : throw new InvalidOperationException($"{EnvironmentVariable}='{text}' is not an integer.");
        }
        return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? CiSeed
            : RandomNumberGenerator.GetInt32(int.MaxValue);
    }

    /// <summary>The seed CI runs with.</summary>
    public const int CiSeed = 20261202;

    /// <summary>The generator of one case (SplitMix64 of the three numbers; seeded <see cref="Random"/> is stable across runs).</summary>
    public static Random ForCase(int seed, int storm, int index)
    {
        var z = ((ulong)(uint)seed << 32) ^ ((ulong)(uint)storm << 24) ^ (uint)index;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }

    /// <summary>How to replay a run.</summary>
    public static string ReplayHint(int seed) => $"seed {seed} (replay: {EnvironmentVariable}={seed} dotnet test ...)";
}
