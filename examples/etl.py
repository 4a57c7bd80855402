"""etl.py: a small PySpark ETL, the README's command-line session (bpg upload examples/etl.py).

It makes a day of synthetic orders, aggregates them per country and prints the result;
--output s3a://bucket/path writes the aggregate there as Parquet instead.
"""
import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=100000)
parser.add_argument("--output")
args = parser.parse_args()

spark = SparkSession.builder.appName("nightly-etl").getOrCreate()
orders = (spark.range(args.rows)
          .withColumn("country", F.element_at(F.array(*[F.lit(c) for c in ("DE", "FR", "US", "JP")]),
                                               (F.col("id") % 4 + 1).cast("int")))
          .withColumn("amount", (F.col("id") % 97) * 1.5))
by_country = orders.groupBy("country").agg(F.count("*").alias("orders"), F.sum("amount").alias("revenue"))
if args.output:
    by_country.write.mode("overwrite").parquet(args.output)
else:
    by_country.orderBy("country").show()
spark.stop()
