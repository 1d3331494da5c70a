using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace GrpcSync.Connectors.S3;

// Listing: ListObjectsV2 pages under the configured prefix, with a folder record for each "directory" of keys.
public sealed partial class S3Connector
{
    /// <summary>
    /// Every object under the prefix in S3's key order, one source page per ListObjectsV2 page (up to
    /// <see cref="PageSize"/> keys), each folder record just before its first key. A key ending in '/' (a
    /// "directory marker") is a folder record, not a file. The Sync's root folder itself is no record.
    /// </summary>
    private async IAsyncEnumerable<SourcePage> ListAsync(SourceContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var (configuration, credentials) = ResolveScope(context);
        using var client = CreateClient(credentials);
        var rootFolder = configuration.RootFolder;
        var emittedFolders = new HashSet<string>(StringComparer.Ordinal);
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = configuration.Bucket,
                Prefix = configuration.Prefix.Length == 0 ? null : configuration.Prefix,
                MaxKeys = PageSize,
                ContinuationToken = continuation,
            };
            ListObjectsV2Response response;
            await context.Requests.WaitAsync(ct).ConfigureAwait(false); // the credential's steady budget, shared by its runs
            try
            {
                response = await client.ListObjectsV2Async(request, ct).ConfigureAwait(false);
            }
            catch (Exception error) when (error is AmazonServiceException or AmazonClientException or HttpRequestException or IOException
                                          || (error is OperationCanceledException && !ct.IsCancellationRequested))
            {
                throw Translate(error, configuration.Bucket);
            }

            var records = new List<SourceRecord>((response.S3Objects?.Count ?? 0) + 4);
            var objectIndexes = new List<int>(response.S3Objects?.Count ?? 0);
            foreach (var item in response.S3Objects ?? [])
            {
                var modified = item.LastModified?.ToUniversalTime() ?? DateTime.UnixEpoch;
                AddFolders(item.Key, rootFolder, modified, emittedFolders, records);
                if (item.Key.EndsWith('/'))
                {
                    if (item.Key.Length > rootFolder.Length && emittedFolders.Add(item.Key))
                    {
                        records.Add(FolderRecord(item.Key, ParentOf(item.Key, rootFolder), modified));
                    }
                    continue;
                }
                objectIndexes.Add(records.Count);
                records.Add(ObjectRecord(item, ParentOf(item.Key, rootFolder)));
            }
            await CompleteChangedObjectsAsync(client, context, configuration.Bucket, records, objectIndexes, ct).ConfigureAwait(false);
            continuation = response.IsTruncated == true ? response.NextContinuationToken : null;
            yield return new SourcePage(records, Cursor: null);
        }
        while (continuation is not null);
    }

    /// <summary>Folder records for the key's directories below the root folder that have not been emitted yet, outermost first.</summary>
    private static void AddFolders(string key, string rootFolder, DateTime modified, HashSet<string> emitted, List<SourceRecord> records)
    {
        var slash = key.IndexOf('/', rootFolder.Length);
        while (slash >= 0 && slash < key.Length - 1)
        {
            var folderId = key[..(slash + 1)];
            if (emitted.Add(folderId))
            {
                records.Add(FolderRecord(folderId, ParentOf(folderId, rootFolder), modified));
            }
            slash = key.IndexOf('/', slash + 1);
        }
    }
}
