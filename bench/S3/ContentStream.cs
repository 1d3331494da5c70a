using System.Diagnostics;
using System.Security.Cryptography;
using GrpcSync.Testing.Processes;

/// <summary>One content download through the server's REST endpoint, with the server's RSS sampled meanwhile.</summary>
internal sealed record ContentStream(long Bytes, byte[] Sha256, TimeSpan Elapsed, long RssBefore, long RssPeak, long RssAfter, long PeakSinceStart)
{
    public static async Task<ContentStream> MeasureAsync(ServerProcess server, string token, string path)
    {
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var rssBefore = ProcStats.Rss(server.ProcessId);
        var peak = rssBefore;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcStats.Rss(server.ProcessId));
                try
                {
                    await Task.Delay(20, done.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long bytes = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            bytes += read;
        }
        watch.Stop();
        await done.CancelAsync();
        await sampler;
        peak = Math.Max(peak, ProcStats.Rss(server.ProcessId));
        return new ContentStream(bytes, hash.GetHashAndReset(), watch.Elapsed, rssBefore, peak, ProcStats.Rss(server.ProcessId), ProcStats.PeakRss(server.ProcessId));
    }
}

/// <summary>The large object's bytes: seeded pseudo-random, written to a file (the bench never holds them in memory).</summary>
internal static class ContentFile
{
    public static byte[] Write(string path, long length)
    {
        var random = new Random(20261202);
        var buffer = new byte[1024 * 1024];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = File.Create(path);
        for (long written = 0; written < length; written += buffer.Length)
        {
            random.NextBytes(buffer);
            var count = (int)Math.Min(buffer.Length, length - written);
            file.Write(buffer, 0, count);
            hash.AppendData(buffer, 0, count);
        }
        return hash.GetHashAndReset();
    }
}
